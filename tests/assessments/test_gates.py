"""The workflow's gates (assessments/gates.py): a sheet is submitted only once its stage is
open, a 000 review only once the branch's self-assessment is final; a deadline that runs
into the next stage is saved only when confirmed. The refusal changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import gates, services
from assessments.models import ScoreSheet, SheetEvent, SheetStatus, Stage
from tests.assessments.conftest import fill, self_sheet, simple_version

TODAY = timezone.localdate()


def _campaign(admin, root, template: str, start):
    campaign = services.create_campaign(
        by=admin,
        name="考评",
        version=simple_version(),
        scope=root,
        year=2026,
        quarter=None,
        template=template,
        start=start,
    )
    if template == "xining":
        services.delete_stage(campaign.stages.get(kind="cross"), by=admin)  # no groups here
    services.open_campaign(campaign, by=admin)
    return campaign


def _review(campaign, kind, org, reviewer, admin) -> ScoreSheet:
    (sheet,) = services.assign_reviewers(
        campaign.stages.get(kind=kind), by=admin, reviewers=[reviewer], orgs=[org]
    )
    fill(sheet, reviewer, {"1.1": "5", "1.2": "5"})
    sheet.refresh_from_db()
    return sheet


def test_a_stage_not_yet_open_refuses_the_submission_and_changes_nothing(
    tree, dept_admin, reviewer
):
    campaign = _campaign(dept_admin, tree.root, "standardization", TODAY)
    sheet = _review(campaign, "supervision", tree.a, reviewer, dept_admin)
    opens = sheet.stage.opens_on
    assert opens == TODAY + timedelta(days=30)
    said = gates.submission_blocker(sheet)
    assert f"“督导检查”阶段 {opens.year}年{opens.month}月{opens.day}日 开始" in said
    with pytest.raises(services.AssessmentError, match="暂不能提交：“督导检查”阶段"):
        services.submit_sheet(sheet, by=reviewer)
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DRAFT and sheet.total is None
    assert not SheetEvent.objects.filter(sheet=sheet).exists()
    # On the day it opens, the same sheet goes through.
    assert gates.submission_blocker(sheet, today=opens) is None
    Stage.objects.filter(pk=sheet.stage_id).update(opens_on=TODAY)
    sheet = ScoreSheet.objects.get(pk=sheet.pk)
    assert services.submit_sheet(sheet, by=reviewer).status == SheetStatus.SUBMITTED


def test_a_full_review_waits_for_the_self_assessment_while_it_runs(
    tree, dept_admin, reviewer, secretary_a
):
    campaign = _campaign(dept_admin, tree.root, "xining", TODAY)
    Stage.objects.filter(campaign=campaign).update(opens_on=TODAY)  # side by side
    own = self_sheet(campaign, tree.a)
    full = _review(campaign, "full", tree.a, reviewer, dept_admin)
    with pytest.raises(services.AssessmentError, match="甲党支部的自查自评尚未提交"):
        services.submit_sheet(full, by=reviewer)
    # B has no self-assessment sheet (no secretary account): nothing to wait for.
    other = _review(campaign, "full", tree.b, reviewer, dept_admin)
    assert gates.submission_blocker(other) is None
    # Submitted, then returned to the branch: the review waits again.
    fill(own, secretary_a, {"1.1": "5", "1.2": "5"})
    own.refresh_from_db()
    services.submit_sheet(own, by=secretary_a)
    full = ScoreSheet.objects.get(pk=full.pk)
    assert gates.submission_blocker(full) is None
    services.return_sheet(own, by=dept_admin, reason="请补充佐证")
    assert "尚未提交" in gates.submission_blocker(full)
    # After the self-assessment's deadline what the branch gave is final.
    deadline = own.stage.deadline
    assert gates.submission_blocker(full, today=deadline + timedelta(days=1)) is None


def test_other_documents_reviews_do_not_wait_for_the_self_check(tree, dept_admin, reviewer):
    campaign = _campaign(dept_admin, tree.root, "standardization", TODAY)
    Stage.objects.filter(campaign=campaign).update(opens_on=TODAY)
    sheet = _review(campaign, "supervision", tree.a, reviewer, dept_admin)
    assert gates.submission_blocker(sheet) is None  # 003's 督导 runs alongside 自查


def test_a_deadline_into_the_next_stage_needs_confirmation(tree, dept_admin):
    campaign = _campaign(dept_admin, tree.root, "standardization", TODAY)
    first, second = campaign.stages.order_by("position")[:2]
    inside = first.deadline - timedelta(days=1)
    assert services.extend_deadline(first, by=dept_admin, deadline=inside).deadline == inside
    late = second.opens_on + timedelta(days=3)
    with pytest.raises(services.OverlapsNextStage, match="晚于下一阶段“督导检查”的开始日期"):
        services.extend_deadline(first, by=dept_admin, deadline=late)
    first.refresh_from_db()
    assert first.deadline == inside
    saved = services.extend_deadline(first, by=dept_admin, deadline=late, overlap_confirmed=True)
    assert saved.deadline == late
    # The last stage has no next stage: never asks.
    last = campaign.stages.order_by("position").last()
    far = last.deadline + timedelta(days=100)
    assert services.extend_deadline(last, by=dept_admin, deadline=far).deadline == far


def test_xibei_takes_its_three_quarterly_scores_side_by_side(tree, dept_admin):
    from django.core.management import call_command

    from rubrics.models import RubricVersion

    call_command("load_rubrics", verbosity=0)
    campaign = services.create_campaign(
        by=dept_admin,
        name="亮牌",
        version=RubricVersion.objects.get(rubric__code="xibei-2025"),
        scope=tree.root,
        year=2026,
        quarter=4,
        template="xibei",
        start=TODAY,
    )
    windows = [(s.instrument, s.opens_on, s.deadline) for s in campaign.stages.all()]
    day = timedelta(days=1)
    assert windows == [
        ("star", TODAY, TODAY + 19 * day),
        ("inspection", TODAY, TODAY + 19 * day),
        ("pairing", TODAY, TODAY + 19 * day),
        ("", TODAY + 20 * day, TODAY + 29 * day),
    ]
    # Stages that run alongside already overlap: a deadline moved within them does not
    # ask; one moved past the 亮牌 stage's start names that stage.
    star = campaign.stages.get(instrument="star")
    shorter = TODAY + 15 * day
    assert services.extend_deadline(star, by=dept_admin, deadline=shorter).deadline == shorter
    with pytest.raises(services.OverlapsNextStage, match="晚于下一阶段“季度亮牌"):
        services.extend_deadline(star, by=dept_admin, deadline=TODAY + 25 * day)


def test_the_stage_plan_form_asks_too_and_keeps_what_was_typed(tree, dept_admin, client):
    from django.urls import reverse

    campaign = services.create_campaign(
        by=dept_admin,
        name="方案",
        version=simple_version(),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=TODAY,
    )
    first, second = campaign.stages.order_by("position")[:2]
    client.force_login(dept_admin)
    url = reverse("stage_edit", args=[first.pk])
    late = (second.opens_on + timedelta(days=5)).isoformat()
    posted = {
        "kind": "self",
        "name": "自查（延长）",
        "assessed_by": "branch",
        "selection": "all",
        "opens_on": first.opens_on.isoformat(),
        "deadline": late,
    }
    page = client.post(url, posted).content.decode()
    assert "确认修改截止日期：自查" in page and "晚于下一阶段“督导检查”的开始日期" in page
    assert 'name="name" value="自查（延长）"' in page and 'name="confirm" value="on"' in page
    first.refresh_from_db()
    assert first.name == "自查" and first.deadline != second.opens_on + timedelta(days=5)
    assert client.post(url, posted | {"confirm": "on"}).status_code == 302
    first.refresh_from_db()
    assert first.name == "自查（延长）" and first.deadline.isoformat() == late


def test_a_committee_checklist_does_not_wait_for_the_committees_self_assessment(
    groups_tree,
):
    from django.core.management import call_command

    from branches.models import Role
    from rubrics.models import RubricVersion
    from tests.conftest import make_user

    call_command("load_rubrics", verbosity=0)
    root, enterprises, _reviewers, admin = groups_tree
    make_user("sec_e1", (enterprises[0], Role.SECRETARY))
    version = simple_version()
    version.rubric.assesses = ["committee", "branch"]
    version.rubric.save()
    campaign = services.create_campaign(
        by=admin,
        name="党委",
        version=version,
        scope=root,
        year=2026,
        quarter=None,
        template="xining",
        start=TODAY,
        committee_version=RubricVersion.objects.get(rubric__code="zzb-7-measures"),
        kinds=["committee"],
    )
    Stage.objects.filter(campaign=campaign).update(opens_on=TODAY)
    services.open_campaign(campaign, by=admin)
    services.draw_cross_review(campaign.stages.get(kind="cross"), by=admin, seed="7")
    cross = ScoreSheet.objects.filter(organization=enterprises[0], stage__kind="cross")
    branch_sheet = cross.get(rubric_version=version)
    checklist = cross.get(rubric_version=campaign.committee_version)
    assert "企业1党委的自查自评尚未提交" in gates.submission_blocker(branch_sheet)
    assert gates.submission_blocker(checklist) is None
