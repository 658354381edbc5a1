"""Every transition: happy path, wrong state, wrong role (403), outsider (404), event row."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import ScoreSheet, SheetEvent, SheetStatus
from assessments.services import AssessmentError, Conflict
from tests.assessments.conftest import fill, self_sheet


def events(sheet):
    return list(
        SheetEvent.objects.filter(sheet=sheet).values_list(
            "from_status", "to_status", "actor__username", "reason"
        )
    )


def test_opening_issues_self_sheets_to_secretaries(campaign, tree):
    sheets = {
        s.organization.code: s.assessor.username for s in campaign.sheets.filter(stage__position=0)
    }
    assert sheets == {"A": "sec_a", "B": "sec_b"}  # G has no secretary account


# -- save -------------------------------------------------------------------------------------


def test_autosave_keeps_valid_values_and_names_bad_ones(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    before = sheet.revision
    saved = fill(sheet, secretary_a, {"1.1": "4.5", "1.2": "7"})
    assert saved.errors == {"1.2": "1.2：7 超出范围，应在 0 至 5 之间"}
    assert saved.result.total == Decimal("4.5")
    assert saved.revision == before + 1
    assert list(sheet.entries.values_list("code", "value")) == [("1.1", Decimal("4.5"))]


def test_stale_revision_is_a_conflict_and_loses_nothing(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    stale = sheet.revision
    fill(sheet, secretary_a, {"1.1": "5"})
    with pytest.raises(Conflict):
        services.save_entries(sheet, by=secretary_a, revision=stale, values={"1.1": "1"})
    assert sheet.entries.get(code="1.1").value == 5


def test_only_the_assessor_saves(campaign, tree, secretary_b):
    with pytest.raises(AssessmentError, match="只有本表的打分人"):
        fill(self_sheet(campaign, tree.a), secretary_b, {"1.1": "5"})


def test_veto_requires_facts(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    saved = fill(sheet, secretary_a, {"1.1": "5"}, vetoes={"V1": ""})
    assert "须写明事实依据" in saved.errors["V1"]
    sheet.refresh_from_db()
    saved = fill(sheet, secretary_a, {}, vetoes={"V1": "支委会连续三月未召开"})
    assert saved.result.grade == "不达标" and saved.result.vetoes == ("V1",)


# -- submit -----------------------------------------------------------------------------------


def test_submit_happy_path(submitted_a, secretary_a):
    assert submitted_a.status == SheetStatus.SUBMITTED
    assert (submitted_a.total, submitted_a.grade) == (Decimal("9.5"), "达标")
    assert not submitted_a.late
    assert events(submitted_a) == [("draft", "submitted", "sec_a", "")]


def test_submit_refuses_incomplete_sheet(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1": "5"})
    with pytest.raises(AssessmentError, match=r"以下指标尚未打分：1\.2"):
        services.submit_sheet(sheet, by=secretary_a)
    assert ScoreSheet.objects.get(pk=sheet.pk).status == SheetStatus.DRAFT


def test_submit_wrong_state(submitted_a, secretary_a):
    with pytest.raises(AssessmentError, match="当前状态为“已提交”"):
        services.submit_sheet(submitted_a, by=secretary_a)


def test_late_submission_is_flagged(campaign, tree, secretary_b):
    stage = campaign.stages.get(position=0)
    type(stage).objects.filter(pk=stage.pk).update(deadline=stage.opens_on)
    sheet = self_sheet(campaign, tree.b)
    fill(sheet, secretary_b, {"1.1": "5", "1.2": "5"})
    sheet.refresh_from_db()
    assert services.submit_sheet(sheet, by=secretary_b).late


# -- return -----------------------------------------------------------------------------------


def test_return_needs_a_reason_and_writes_an_event(submitted_a, dept_admin):
    with pytest.raises(AssessmentError, match="必须写明原因"):
        services.return_sheet(submitted_a, by=dept_admin, reason="  ")
    returned = services.return_sheet(submitted_a, by=dept_admin, reason="1.2 无佐证材料")
    assert returned.status == SheetStatus.RETURNED
    assert events(returned)[-1] == ("submitted", "returned", "dept", "1.2 无佐证材料")


def test_return_wrong_state(campaign, tree, dept_admin):
    with pytest.raises(AssessmentError, match="当前状态为“草稿”"):
        services.return_sheet(self_sheet(campaign, tree.a), by=dept_admin, reason="x")


def test_returned_sheet_is_fixed_and_resubmitted(submitted_a, dept_admin, secretary_a):
    services.return_sheet(submitted_a, by=dept_admin, reason="补材料")
    sheet = ScoreSheet.objects.get(pk=submitted_a.pk)
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "3"})
    sheet.refresh_from_db()
    again = services.submit_sheet(sheet, by=secretary_a)
    assert again.status == SheetStatus.SUBMITTED and again.total == 8
    assert [e[:2] for e in events(again)] == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
    ]


# -- sign and reopen --------------------------------------------------------------------------


def test_sign_records_who_when_and_digest(submitted_a, dept_admin):
    signed = services.sign_sheet(submitted_a, by=dept_admin)
    assert signed.status == SheetStatus.SIGNED and signed.signed_by == dept_admin
    assert signed.digest == services.sheet_digest(signed) and len(signed.digest) == 64
    assert events(signed)[-1][:3] == ("submitted", "signed", "dept")
    assert SheetEvent.objects.filter(sheet=signed, to_status="signed").get().digest == signed.digest


def test_signed_sheet_is_read_only(submitted_a, dept_admin, secretary_a):
    signed = services.sign_sheet(submitted_a, by=dept_admin)
    with pytest.raises(AssessmentError, match="已提交或已签发"):
        services.save_entries(signed, by=secretary_a, revision=signed.revision, values={"1.1": "1"})


def test_sign_wrong_state_and_wrong_role(campaign, tree, submitted_a, leader, dept_admin):
    with pytest.raises(AssessmentError, match="只有党群部可以签发"):
        services.sign_sheet(submitted_a, by=leader)
    with pytest.raises(AssessmentError, match="当前状态为“草稿”"):
        services.sign_sheet(self_sheet(campaign, tree.b), by=dept_admin)


def test_reopen_needs_reason_and_clears_signature(submitted_a, dept_admin):
    signed = services.sign_sheet(submitted_a, by=dept_admin)
    with pytest.raises(AssessmentError, match="必须写明原因"):
        services.reopen_sheet(signed, by=dept_admin, reason="")
    reopened = services.reopen_sheet(signed, by=dept_admin, reason="抽查发现分数有误")
    assert reopened.status == SheetStatus.RETURNED and reopened.digest == ""
    assert events(reopened)[-1] == ("signed", "returned", "dept", "抽查发现分数有误")
    with pytest.raises(AssessmentError, match="当前状态为“已退回”"):
        services.reopen_sheet(reopened, by=dept_admin, reason="again")


# -- through the views: 403 for insiders without the right, 404 for outsiders -----------------

TRANSITIONS = [
    ("sheet_submit", {}),
    ("sheet_return", {"reason": "原因"}),
    ("sheet_sign", {}),
    ("sheet_reopen", {"reason": "原因"}),
]


@pytest.mark.parametrize(("name", "data"), TRANSITIONS)
def test_outsider_gets_404(client, submitted_a, outsider, name, data):
    client.force_login(outsider)
    assert client.post(reverse(name, args=[submitted_a.pk]), data).status_code == 404


@pytest.mark.parametrize(("name", "data"), TRANSITIONS)
def test_leader_gets_403(client, submitted_a, leader, name, data):
    client.force_login(leader)
    assert client.get(reverse("sheet_detail", args=[submitted_a.pk])).status_code == 200
    assert client.post(reverse(name, args=[submitted_a.pk]), data).status_code == 403
    assert ScoreSheet.objects.get(pk=submitted_a.pk).status == SheetStatus.SUBMITTED


def test_secretary_of_another_branch_gets_404(client, submitted_a, secretary_b):
    client.force_login(secretary_b)
    assert client.get(reverse("sheet_detail", args=[submitted_a.pk])).status_code == 404


def test_reviewer_of_the_branch_returns_the_self_assessment(
    client, campaign, tree, submitted_a, reviewer
):
    stage = campaign.stages.get(position=1)
    services.assign_reviewers(stage, by=campaign.created_by, reviewers=[reviewer], orgs=[tree.a])
    client.force_login(reviewer)
    page = client.get(reverse("sheet_detail", args=[submitted_a.pk])).content.decode()
    assert "退回修改" in page and "审核签发" not in page
    response = client.post(
        reverse("sheet_return", args=[submitted_a.pk]),
        {"reason": "自评偏高，请补充材料"},
        follow=True,
    )
    assert "已退回" in response.content.decode()
    assert ScoreSheet.objects.get(pk=submitted_a.pk).status == SheetStatus.RETURNED


def test_side_by_side_and_inflated_self_assessment(campaign, tree, submitted_a, reviewer, client):
    stage = campaign.stages.get(position=1)
    (sheet,) = services.assign_reviewers(
        stage, by=campaign.created_by, reviewers=[reviewer], orgs=[tree.a]
    )
    assert sheet.assessor == reviewer
    type(campaign).objects.filter(pk=campaign.pk).update(discrepancy_threshold=Decimal("5"))
    fill(sheet, reviewer, {"1.1": "3", "1.2": "1"})
    sheet.refresh_from_db()
    submitted = services.submit_sheet(sheet, by=reviewer)
    assert submitted.inflated_self  # 9.5 − 4 = 5.5 > 5
    client.force_login(reviewer)
    page = client.get(reverse("sheet_detail", args=[sheet.pk])).content.decode()
    assert "自查" in page
    assert re.search(
        r'class="small table-warning fw-bold" data-compare="1\.2" data-value="4\.5">4\.5<', page
    )
    assert 'id="inflated"' in page


def test_nobody_scores_their_own_branch(campaign, tree, secretary_a):
    from branches.models import Membership, Role

    Membership.objects.create(user=secretary_a, organization=tree.root, role=Role.REVIEWER)
    stage = campaign.stages.get(position=1)
    with pytest.raises(AssessmentError, match="没有与“甲党支部”无关联的考评人员"):
        services.assign_reviewers(
            stage, by=campaign.created_by, reviewers=[secretary_a], orgs=[tree.a]
        )


def test_home_lists_tasks_and_returned_reasons(client, submitted_a, dept_admin, secretary_a):
    services.return_sheet(submitted_a, by=dept_admin, reason="请补充支委会记录")
    client.force_login(secretary_a)
    page = client.get(reverse("home")).content.decode()
    assert 'id="my-tasks"' in page and "请补充支委会记录" in page


def test_submit_with_a_stale_revision_but_identical_values_goes_through(
    campaign, tree, secretary_a, client
):
    """The form submitted while its own autosave was in flight carries an old revision."""
    sheet = self_sheet(campaign, tree.a)
    stale = sheet.revision
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"})
    client.force_login(secretary_a)
    url = reverse("sheet_submit", args=[sheet.pk])
    client.post(url, {"revision": stale, "v_1.1": "5", "v_1.2": "3"})
    assert ScoreSheet.objects.get(pk=sheet.pk).status == SheetStatus.DRAFT  # differs: refused
    client.post(url, {"revision": stale, "v_1.1": "5", "v_1.2": "4"})
    assert ScoreSheet.objects.get(pk=sheet.pk).status == SheetStatus.SUBMITTED


def test_reminder_emails_go_to_assessors_with_open_sheets(
    campaign, tree, secretary_a, dept_admin, client, mailoutbox
):
    from branches.models import User

    User.objects.filter(pk=secretary_a.pk).update(email="sec_a@example.com")
    client.force_login(dept_admin)
    url = reverse("campaign_remind", args=[campaign.pk])
    confirm = client.get(url + "?scope=open").content.decode()
    assert "确认催办" in confirm and "sec_a@example.com" in confirm and mailoutbox == []
    response = client.post(url, {"scope": "open"}, follow=True)
    assert "已催办 2 人" in response.content.decode()
    (mail,) = mailoutbox  # sec_b has no email address: nothing is sent to them
    assert mail.to == ["sec_a@example.com"]
    assert "甲党支部（自查）" in mail.body and "待办" in mail.subject


def test_progress_counts_filters_and_search(campaign, tree, submitted_a, dept_admin, client):
    client.force_login(dept_admin)
    url = reverse("campaign_progress", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert "已提交 1" in page and "草稿 1" in page
    page = client.get(url + "?status=submitted").content.decode()
    assert "甲党支部" in page and ">乙党支部<" not in page
    page = client.get(url + "?q=乙").content.decode()
    assert ">乙党支部<" in page and ">甲党支部<" not in page
    page = client.get(url + f"?enterprise={tree.e2.pk}").content.decode()
    assert ">乙党支部<" in page and ">甲党支部<" not in page


def test_admin_lists_assessment_records_in_chinese(campaign, superuser, client):
    client.force_login(superuser)
    page = client.get(reverse("admin:assessments_scoresheet_changelist")).content.decode()
    assert "考评表" in page and "甲党支部" in page


def test_stage_plan_by_hand_until_the_campaign_opens(
    tree, dept_admin, secretary_a, version, client
):
    from datetime import date

    from assessments.models import Stage

    campaign = services.create_campaign(
        by=dept_admin,
        name="手工方案",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="blank",
        start=date(2026, 3, 1),
    )
    assert not campaign.stages.exists()
    client.force_login(dept_admin)
    url = reverse("stage_create", args=[campaign.pk])
    base = {
        "kind": "self",
        "name": "自查",
        "assessed_by": "branch",
        "selection": "all",
        "opens_on": "2026-03-01",
        "deadline": "2026-03-31",
    }
    bad = client.post(url, base | {"assessed_by": "department"}).content.decode()
    assert "自查自评阶段的打分人应为党支部自评" in bad
    assert client.post(url, base).status_code == 302
    assert (
        client.post(
            url,
            base
            | {
                "kind": "spot",
                "name": "抽查",
                "assessed_by": "inspectors",
                "selection": "ratio",
                "ratio": "0.2",
                "opens_on": "2026-04-01",
                "deadline": "2026-04-30",
            },
        ).status_code
        == 302
    )
    spot = campaign.stages.get(kind="spot")
    assert (spot.position, spot.ratio) == (1, Decimal("0.2"))
    client.post(
        reverse("stage_edit", args=[spot.pk]),
        base
        | {
            "kind": "spot",
            "name": "抽查点评",
            "assessed_by": "inspectors",
            "selection": "count",
            "count": "2",
            "opens_on": "2026-04-01",
            "deadline": "2026-05-15",
        },
    )
    spot.refresh_from_db()
    assert (spot.name, spot.count, str(spot.deadline)) == ("抽查点评", 2, "2026-05-15")
    first = campaign.stages.get(position=0)
    client.post(reverse("stage_delete", args=[first.pk]))
    assert list(campaign.stages.values_list("position", "name")) == [(0, "抽查点评")]
    client.post(url, base)
    services.open_campaign(campaign, by=dept_admin)
    response = client.post(reverse("stage_delete", args=[spot.pk]), follow=True)
    assert "开始后不能再调整阶段方案" in response.content.decode()
    assert Stage.objects.filter(pk=spot.pk).exists()
