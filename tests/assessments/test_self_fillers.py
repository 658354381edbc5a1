"""Objects without a self-assessment sheet (no secretary account), listed with the reason,
and the department's 指定填表人."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import selectors, services
from assessments.models import CampaignStatus, ScoreSheet
from assessments.services import AssessmentError
from branches.models import AuditEntry, OrgKind, Role
from tests.assessments.conftest import open_every_stage
from tests.conftest import make_org, make_user


@pytest.fixture
def campaign(tree, dept_admin, secretary_a, secretary_b, version):
    """An open campaign (自查 → 督导 → 验收) over the tree and branch C, which has no
    secretary account."""
    tree.c = make_org("C", OrgKind.BRANCH, tree.e1, name="丙党支部", full_members=5)
    c = services.create_campaign(
        by=dept_admin,
        name="2026年度考评",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate() - timedelta(days=5),
    )
    open_every_stage(c)
    assert "丙党支部" in services.open_campaign(c, by=dept_admin)[0]
    return c


def _self_stage(campaign):
    return campaign.stages.get(position=0)


def test_the_objects_without_a_secretary_are_listed_with_the_reason(campaign, tree):
    gaps = {g.organization.code: g for g in selectors.self_assessment_gaps(campaign)}
    assert "C" in gaps and "A" not in gaps and "B" not in gaps
    assert gaps["C"].reason == "没有支部书记账号（或账号已停用）"
    # A secretary granted since: the reason says 补发 will issue it.
    make_user("sec_c", (tree.c, Role.SECRETARY), name="丙书记")
    gaps = {g.organization.code: g for g in selectors.self_assessment_gaps(campaign)}
    assert "现有支部书记 丙书记，可补发自评表" in gaps["C"].reason


def test_assigning_a_filler_makes_the_sheet_and_records_it(campaign, tree, dept_admin):
    filler = make_user("fill_c", name="丁委员")
    sheet = services.assign_self_filler(
        _self_stage(campaign), by=dept_admin, organization=tree.c, filler=filler
    )
    assert (sheet.assessor, sheet.organization, sheet.stage.position) == (filler, tree.c, 0)
    assert "C" not in {g.organization.code for g in selectors.self_assessment_gaps(campaign)}
    entry = AuditEntry.objects.get(model=ScoreSheet._meta.verbose_name, object_id=str(sheet.pk))
    assert entry.actor == dept_admin and "指定填写自评表" in str(entry.changes)
    with pytest.raises(AssessmentError, match="已有“自查”表"):
        services.assign_self_filler(
            _self_stage(campaign), by=dept_admin, organization=tree.c, filler=filler
        )


def test_a_filler_is_refused_when_not_allowed(campaign, tree, dept_admin, reviewer):
    stage = _self_stage(campaign)
    auditor = make_user("audit_x", (tree.root, Role.AUDITOR), name="审计")
    with pytest.raises(AssessmentError, match="不能填写本次考评的自评表"):
        services.assign_self_filler(stage, by=dept_admin, organization=tree.c, filler=auditor)
    services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer], orgs=[tree.c]
    )
    with pytest.raises(AssessmentError, match="不能同时填写其自评表"):
        services.assign_self_filler(stage, by=dept_admin, organization=tree.c, filler=reviewer)
    with pytest.raises(AssessmentError, match="已有"):
        services.assign_self_filler(
            stage, by=dept_admin, organization=tree.a, filler=make_user("x1", name="某人")
        )


def test_a_closed_campaign_takes_no_filler(campaign, tree, dept_admin):
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status"])
    with pytest.raises(AssessmentError, match="尚未开始或已结束"):
        services.assign_self_filler(
            _self_stage(campaign), by=dept_admin, organization=tree.c, filler=make_user("y1")
        )


def test_the_page_answers_by_role(campaign, client, secretary_a, dept_admin_e2, dept_admin):
    url = reverse("stage_self_filler", args=[_self_stage(campaign).pk])
    client.force_login(secretary_a)  # holds a sheet of the campaign: sees it
    assert client.get(url).status_code == 403
    client.force_login(dept_admin_e2)  # the department of one enterprise only
    assert client.get(url).status_code == 404
    client.force_login(dept_admin)
    page = client.get(url).content.decode()
    assert "丙党支部" in page and "没有支部书记账号" in page
