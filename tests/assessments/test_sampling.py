"""Draws anyone can repeat; the ratio holds per enterprise; nobody reviews their own."""

from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments import sampling, services
from assessments.models import CrossReviewPair, ScoreSheet, Stage
from branches.models import Membership
from tests.assessments.conftest import simple_version


def test_same_seed_same_sample_and_ratio_per_enterprise():
    population = {"1": list(range(100, 110)), "2": list(range(200, 204)), "3": [300]}
    first = sampling.draw(population, seed="abc", ratio=Decimal("0.3"))
    assert first == sampling.draw(population, seed="abc", ratio=Decimal("0.3"))
    assert {k: len(v) for k, v in first.items()} == {"1": 3, "2": 2, "3": 1}
    assert first != sampling.draw(population, seed="xyz", ratio=Decimal("0.3"))
    assert all(set(first[k]) <= set(population[k]) for k in population)


@pytest.mark.parametrize(
    ("n", "ratio", "size"),
    [(10, "0.3", 3), (7, "0.3", 3), (1, "0.1", 1), (0, "0.5", 0), (4, "1", 4)],
)
def test_sample_size(n, ratio, size):
    assert sampling.sample_size(n, ratio=Decimal(ratio)) == size


def test_group_plan_never_self_and_no_reciprocal_with_three():
    plan = sampling.group_plan([1, 2, 3], seed="s")
    assert sorted(r for r, _ in plan) == [1, 2, 3] and sorted(d for _, d in plan) == [1, 2, 3]
    assert all(r != d for r, d in plan)
    assert not {(d, r) for r, d in plan} & set(plan)
    with pytest.raises(sampling.SamplingError, match="无法避免两组互相考评"):
        sampling.group_plan([1, 2], seed="s")
    assert sampling.group_plan([1, 2], seed="s", avoid_reciprocal=False)


@settings(max_examples=150, deadline=None)
@given(
    groups=st.integers(min_value=3, max_value=8),
    branches=st.lists(st.integers(min_value=0, max_value=6), min_size=8, max_size=8),
    ratio=st.decimals(min_value=Decimal("0.05"), max_value=1, places=2),
    seed=st.text(min_size=1, max_size=8),
)
def test_no_assignment_reviews_its_own_branch_or_group(groups, branches, ratio, seed):
    # Enterprise g has branches[g] branches; reviewers r{g}a, r{g}b belong to enterprise g.
    branch_group = {f"b{g}-{i}": g for g in range(groups) for i in range(branches[g])}
    plan = sampling.group_plan(list(range(groups)), seed=seed)
    population = {
        str(g): [i for i, b in enumerate(branch_group) if branch_group[b] == g]
        for g in range(groups)
    }
    picked = sampling.draw(population, seed=seed, ratio=ratio)
    names = list(branch_group)
    for reviewer_group, reviewed_group in plan:
        assert reviewer_group != reviewed_group
        reviewers = [f"r{reviewer_group}a", f"r{reviewer_group}b"]
        items = [names[i] for i in picked[str(reviewed_group)]]
        assignment = sampling.spread(
            items, reviewers, conflict=lambda r, b: int(r[1:-1]) == branch_group[b]
        )
        for branch, reviewer in assignment.items():
            assert int(reviewer[1:-1]) != branch_group[branch]
        counts = [list(assignment.values()).count(r) for r in reviewers]
        assert max(counts) - min(counts) <= 1  # an even spread


@pytest.fixture
def xining_like(groups_tree):
    root, enterprises, reviewers, admin = groups_tree
    version = simple_version()
    campaign = services.create_campaign(
        by=admin,
        name="以评促建",
        version=version,
        scope=root,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=admin)
    return campaign, enterprises, reviewers, admin


def test_cross_review_draw_gives_sheets_to_the_other_groups_reviewers(xining_like):
    campaign, enterprises, _reviewers, admin = xining_like
    stage = campaign.stages.get(kind="cross")
    record = services.draw_cross_review(stage, by=admin, seed="2026")
    assert sampling.redraw(record.seed, record.inputs) == record.selected
    assert {k: len(v) for k, v in record.selected.items()} == {
        str(e.pk): 1 for e in enterprises
    }  # ⌈3 × 0.3⌉ = 1 per enterprise
    pairs = list(CrossReviewPair.objects.filter(stage=stage))
    assert len(pairs) == 3 and all(p.reviewer_id != p.reviewed_id for p in pairs)
    sheets = ScoreSheet.objects.filter(stage=stage).select_related("organization", "assessor")
    assert sheets.count() == 3
    for sheet in sheets:
        own = Membership.objects.get(user=sheet.assessor).organization
        assert own != sheet.organization.enterprise
    with pytest.raises(services.AssessmentError, match="已经抽样"):
        services.draw_cross_review(stage, by=admin, seed="again")


def test_same_seed_redraws_the_same_sample_in_a_fresh_stage(xining_like):
    campaign, *_, admin = xining_like
    stage = campaign.stages.get(kind="cross")
    first = services.draw_cross_review(stage, by=admin, seed="fixed")
    clone = Stage.objects.get(pk=stage.pk)
    clone.pk, clone.position = None, 9
    clone.save()
    second = services.draw_cross_review(clone, by=admin, seed="fixed")
    assert second.selected == first.selected and second.inputs == first.inputs


def test_committee_checklist_during_cross_review(groups_tree):
    from django.core.management import call_command

    from rubrics.models import RubricVersion

    call_command("load_rubrics", verbosity=0)
    root, _enterprises, _reviewers, admin = groups_tree
    campaign = services.create_campaign(
        by=admin,
        name="含7条措施",
        version=simple_version(),
        scope=root,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate(),
        committee_version=RubricVersion.objects.get(rubric__code="zzb-7-measures"),
    )
    services.open_campaign(campaign, by=admin)
    services.draw_cross_review(campaign.stages.get(kind="cross"), by=admin, seed="7")
    checklist = ScoreSheet.objects.filter(
        campaign=campaign, rubric_version__rubric__code="zzb-7-measures"
    )
    assert sorted(s.organization.code for s in checklist) == ["E1", "E2", "E3"]
    for sheet in checklist:
        assert Membership.objects.get(user=sheet.assessor).organization != sheet.organization


def test_spot_check_draws_per_enterprise(xining_like):
    campaign, enterprises, reviewers, admin = xining_like
    stage = campaign.stages.get(kind="spot")
    record = services.draw_spot_check(stage, by=admin, inspectors=reviewers, seed="s")
    assert {k: len(v) for k, v in record.selected.items()} == {str(e.pk): 1 for e in enterprises}
    assert ScoreSheet.objects.filter(stage=stage).count() == 3
    for sheet in ScoreSheet.objects.filter(stage=stage).select_related("organization"):
        assert Membership.objects.get(user=sheet.assessor).organization != (
            sheet.organization.enterprise
        )


def test_draw_page_confirms_the_redraw(xining_like, client):
    campaign, *_, admin = xining_like
    record = services.draw_cross_review(campaign.stages.get(kind="cross"), by=admin, seed="42")
    client.force_login(admin)
    from django.urls import reverse

    page = client.get(reverse("draw_detail", args=[record.pk])).content.decode()
    assert "结果与记录<strong>一致</strong>" in page and "42" in page
