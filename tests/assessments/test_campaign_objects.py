"""A campaign's objects are fixed when it opens: stored with the enterprise each belonged
to, audited, and the one set every count, list and rate of the campaign reads."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from assessments import selectors, services
from assessments.models import CampaignObject
from branches.models import AuditEntry, Organization, OrgKind
from tests.assessments.conftest import reviewed_campaign
from tests.conftest import make_org

fill_objects = importlib.import_module("assessments.migrations.0014_campaign_objects").fill_objects


def _objects(campaign) -> set[tuple[str, str | None]]:
    return {
        (o.organization.code, o.enterprise.code if o.enterprise else None)
        for o in CampaignObject.objects.filter(campaign=campaign).select_related(
            "organization", "enterprise"
        )
    }


def test_opening_fixes_the_objects_with_their_enterprise(campaign, tree):
    assert _objects(campaign) == {("A", "E1"), ("B", "E2")}
    entry = AuditEntry.objects.filter(object_id=str(campaign.pk), changes__has_key="objects")
    assert entry.exists()


def test_an_organization_created_after_opening_is_not_assessed(
    campaign, tree, dept_admin, reviewer
):
    make_org("C", OrgKind.BRANCH, tree.e2, name="丙党支部")
    assert {o.code for o in services.targets(campaign)} == {"A", "B"}
    assert selectors.campaign_summary(campaign)["in_scope"] == 2
    # Nor is it given to a reviewer: assigning the 督导 stage gives the two objects only.
    sheets = services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer]
    )
    assert {s.organization.code for s in sheets} == {"A", "B"}


def test_a_draft_campaign_counts_the_tree_as_it_is(tree, dept_admin, version):
    draft = services.create_campaign(
        by=dept_admin,
        name="筹备中的考评",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    make_org("C", OrgKind.BRANCH, tree.e2, name="丙党支部")
    assert {o.code for o in selectors.campaign_objects(draft)} == {"A", "B", "C"}
    assert selectors.campaign_summary(draft)["in_scope"] == 3


def test_a_moved_object_counts_under_its_enterprise_at_opening(tree, dept_admin, reviewer):
    campaign = reviewed_campaign(tree, dept_admin, reviewer, "xining-moved")
    tree.a.parent = tree.e2
    tree.a.save()
    from branches.services import place_subtree

    place_subtree(tree.a)
    rows = {
        r["organization__enterprise__name"]: r
        for r in selectors.campaign_summary(campaign)["by_enterprise"]
    }
    assert (rows["一公司党委"]["n"], rows["一公司党委"]["scope"]) == (1, 1)
    assert (rows["二公司党委"]["n"], rows["二公司党委"]["scope"]) == (0, 1)
    # The ledger (page, Excel, PDF) prints beside the result the enterprise it counts under.
    (result,) = selectors.results_ledger(campaign)
    assert (result.organization_id, result.enterprise_name) == (tree.a.pk, "一公司党委")
    # A draw groups it there too.
    assert (tree.a.pk, tree.e1.pk) in selectors.object_enterprises(campaign)


def test_a_closed_campaign_missing_results_is_final_not_provisional(
    tree, dept_admin, reviewer, client
):
    campaign = reviewed_campaign(tree, dept_admin, reviewer, "xining-closed")
    assert selectors.campaign_summary(campaign)["provisional"]  # B has no result yet
    services.close_campaign(campaign, by=dept_admin)
    campaign.refresh_from_db()
    summary = selectors.campaign_summary(campaign)
    assert (summary["provisional"], summary["missing"], summary["rate"]) == (False, 1, 50.0)
    client.force_login(dept_admin)
    page = client.get(reverse("campaign_results", args=[campaign.pk])).content.decode()
    assert "暂定" not in page and "考评已结束：1 个考评对象没有考评结果" in page


@pytest.mark.parametrize("status", ["open", "closed"])
def test_the_migration_fills_objects_of_campaigns_opened_before(status, tree, dept_admin, reviewer):
    campaign = reviewed_campaign(tree, dept_admin, reviewer, f"xining-{status}")
    campaign.__class__.objects.filter(pk=campaign.pk).update(status=status)
    CampaignObject.objects.filter(campaign=campaign).delete()
    make_org("C", OrgKind.BRANCH, tree.e2, name="丙党支部")  # created after it opened
    fill_objects(apps, None)
    # Whether it is still open or closed: the tree as it was when it opened (A, B), not C.
    assert _objects(campaign) == {("A", "E1"), ("B", "E2")}


def test_the_weak_ledger_keeps_the_flag_the_campaign_opened_with(tree, dept_admin, reviewer):
    """软弱涣散 as it stood when the campaign opened: flagging or clearing a branch later
    changes neither the campaign's ledger nor what it shows (a closed period never moves)."""
    Organization.objects.filter(pk=tree.a.pk).update(weak_and_lax=True)
    campaign = reviewed_campaign(tree, dept_admin, reviewer, "xining-weak")
    assert [r.organization_id for r in selectors.campaign_summary(campaign)["weak"]] == [tree.a.pk]
    Organization.objects.filter(pk=tree.a.pk).update(weak_and_lax=False)
    Organization.objects.filter(pk=tree.b.pk).update(weak_and_lax=True)
    assert [r.organization_id for r in selectors.campaign_summary(campaign)["weak"]] == [tree.a.pk]
