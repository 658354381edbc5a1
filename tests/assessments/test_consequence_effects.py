"""Consequences act (services.consequences): a rule with an ``effect`` records a status on
the organization or its secretary, with its source result; a re-rating, an overturned veto
or a re-consolidation that changes the grade withdraws it, with an audit row."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services
from assessments.mechanisms.selectors import board
from assessments.mechanisms.services import pairing
from assessments.models import (
    BranchResult,
    ConsequenceEffect,
    EffectKind,
    EffectStatus,
    Interview,
)
from branches.models import AuditEntry, Category, Organization, OrgKind, Role
from tests.assessments.conftest import simple_version
from tests.assessments.test_results import plaque_quarters, signed
from tests.conftest import make_org, make_user, open_every_stage

LAGGING_RULES = {
    "basis": "测试依据",
    "rules": [
        {
            "code": "admonish",
            "grade": "不达标",
            "text": "组织诫勉，纳入后进党组织重点整顿",
            "effect": "lagging",
        }
    ],
}


@pytest.fixture
def campaign(tree, dept_admin):
    campaign = services.create_campaign(
        by=dept_admin,
        name="2026年度考评",
        version=simple_version("effects-test", LAGGING_RULES),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate() - timedelta(days=3),
    )
    services.delete_stage(campaign.stages.get(kind="cross"), by=dept_admin)
    open_every_stage(campaign)
    services.open_campaign(campaign, by=dept_admin)
    return campaign


def _failing(campaign, tree, dept_admin, reviewer, **kwargs) -> BranchResult:
    signed(campaign.stages.get(kind="full"), tree.a, reviewer, dept_admin, **kwargs)
    services.consolidate(campaign, by=dept_admin)
    return BranchResult.objects.get(campaign=campaign, organization=tree.a)


def _org(tree) -> Organization:
    return Organization.objects.get(pk=tree.a.pk)


def test_lagging_sets_the_category_with_its_source_once(campaign, tree, dept_admin, reviewer):
    result = _failing(campaign, tree, dept_admin, reviewer, values={"1.1": "2", "1.2": "2"})
    assert result.grade == "不达标"
    org = _org(tree)
    assert org.category == Category.LAGGING
    assert org.category_source == "2026年度考评考评结果“不达标”：组织诫勉，纳入后进党组织重点整顿"
    (effect,) = ConsequenceEffect.objects.filter(organization=tree.a)
    assert (effect.kind, effect.status, effect.result) == ("lagging", "in_force", result)
    assert effect.previous_category == Category.ORDINARY
    services.consolidate(campaign, by=dept_admin)  # idempotent
    assert ConsequenceEffect.objects.filter(organization=tree.a).count() == 1
    assert AuditEntry.objects.filter(model="结果运用记录", object_id=str(effect.pk)).exists()


def test_overturned_veto_withdraws_and_restores_the_category(campaign, tree, dept_admin, reviewer):
    spot = make_user("inspector", (tree.root, Role.REVIEWER))
    result = _failing(
        campaign,
        tree,
        dept_admin,
        reviewer,
        values={"1.1": "5", "1.2": "5"},
        vetoes={"V1": "班子成员公开对立"},
    )
    assert result.grade == "不达标" and _org(tree).category == Category.LAGGING
    signed(campaign.stages.get(kind="spot"), tree.a, spot, dept_admin, {"1.1": "5", "1.2": "5"})
    services.overturn_veto(
        by=dept_admin,
        campaign=campaign,
        organization=tree.a,
        code="V1",
        stage=campaign.stages.get(kind="spot"),
        reason="抽查核实：班子已调整",
    )
    effect = ConsequenceEffect.objects.get(organization=tree.a)
    assert effect.status == EffectStatus.WITHDRAWN and effect.withdrawn_by == dept_admin
    assert effect.withdrawn_reason == "否决项V1已被推翻，等次现为“达标”"
    org = _org(tree)
    assert (org.category, org.category_source) == (Category.ORDINARY, "")
    assert AuditEntry.objects.filter(
        model="结果运用记录", object_id=str(effect.pk), action="update"
    ).exists()


def test_a_new_grade_at_reconsolidation_withdraws(campaign, tree, dept_admin, reviewer):
    _failing(campaign, tree, dept_admin, reviewer, values={"1.1": "2", "1.2": "2"})
    spot = make_user("inspector", (tree.root, Role.REVIEWER))
    signed(campaign.stages.get(kind="spot"), tree.a, spot, dept_admin, {"1.1": "5", "1.2": "5"})
    services.consolidate(campaign, by=dept_admin)
    effect = ConsequenceEffect.objects.get(organization=tree.a)
    assert effect.withdrawn_reason == "重新汇总后等次为“达标”"
    assert _org(tree).category == Category.ORDINARY


def test_the_latest_decision_wins_between_screening_and_consequence(
    campaign, tree, dept_admin, reviewer
):
    # A 先进 screening, then a 不达标 result: 后进 now, from the result.
    services.screen_branch(tree.a, by=dept_admin, year=2025, category="advanced", reason="表现突出")
    result = _failing(campaign, tree, dept_admin, reviewer, values={"1.1": "2", "1.2": "2"})
    assert _org(tree).category == Category.LAGGING
    # Re-rated: the screening's 先进 and its source come back.
    services.rerate(result, by=dept_admin, to_grade="达标", reason="复核改评")
    org = _org(tree)
    assert (org.category, org.category_source) == ("advanced", "2025年度过筛子评定为“先进”")
    assert ConsequenceEffect.objects.get().withdrawn_reason == "经决定改评为“达标”"


def test_a_later_screening_is_not_undone_by_a_withdrawal(campaign, tree, dept_admin, reviewer):
    result = _failing(campaign, tree, dept_admin, reviewer, values={"1.1": "2", "1.2": "2"})
    services.screen_branch(tree.a, by=dept_admin, year=2026, category="ordinary", reason="已整顿")
    org = _org(tree)
    assert (org.category, org.category_source) == ("ordinary", "2026年度过筛子评定为“一般”")
    # The consequence stays on the record, in force; the category follows the screening.
    assert ConsequenceEffect.objects.get().in_force
    services.screen_branch(tree.a, by=dept_admin, year=2026, category="lagging", reason="复评后进")
    services.rerate(result, by=dept_admin, to_grade="达标", reason="复核改评")
    org = _org(tree)
    assert (org.category, org.category_source) == ("lagging", "2026年度过筛子评定为“后进”")


def test_a_category_edited_by_hand_drops_its_source(campaign, tree, dept_admin, reviewer):
    from branches.services import update_organization

    _failing(campaign, tree, dept_admin, reviewer, values={"1.1": "2", "1.2": "2"})
    update_organization(tree.a, by=dept_admin, data={"category": "ordinary"})
    assert (_org(tree).category, _org(tree).category_source) == ("ordinary", "")


# -- 西北能化: quarters -----------------------------------------------------------------------


LOW, HIGH = ("60", "60", "60"), ("95", "95", "95")


def test_two_zhengxian_quarters_open_an_interview_cancelled_when_the_first_is_rerated(
    tree, dept_admin, reviewer
):
    Organization.objects.filter(pk=tree.a.pk).update(secretary_name="王书记")
    results = plaque_quarters(tree, dept_admin, reviewer, [(1, LOW), (2, LOW)])
    kinds = sorted(ConsequenceEffect.objects.values_list("result__quarter", "kind"))
    assert kinds == [(1, "no_awards"), (2, "interview"), (2, "no_awards")]
    effect = ConsequenceEffect.objects.get(kind=EffectKind.INTERVIEW)
    interview = Interview.objects.get()
    assert effect.interview == interview and interview.secretary_name == "王书记"
    assert "连续2个季度争先牌" in interview.reason and "2026年第2季度亮牌" in interview.reason
    assert effect.label == "约谈书记（王书记）"
    # Q1 re-rated 达标牌: Q2 is no longer the second 争先 quarter; the talk is cancelled.
    services.rerate(results[1], by=dept_admin, to_grade="达标牌", reason="整改到位")
    effect.refresh_from_db()
    assert effect.status == EffectStatus.WITHDRAWN and effect.interview is None
    assert effect.withdrawn_reason == "上期考评结果已改变，本期“争先牌”不再适用此项"
    assert not Interview.objects.exists()
    in_force = sorted(
        ConsequenceEffect.objects.filter(status="in_force").values_list("result__quarter", "kind")
    )
    assert in_force == [(2, "no_awards")]


def test_a_previous_quarter_consolidated_again_withdraws_the_next_quarters_interview(
    tree, dept_admin, reviewer
):
    results = plaque_quarters(tree, dept_admin, reviewer, [(1, LOW), (2, LOW)])
    assert Interview.objects.count() == 1
    # A second reviewer's sheets for Q1 (100 each) average with the first: 80, 达标牌.
    other = make_user("reviewer2", (tree.root, Role.REVIEWER))
    q1 = results[1].campaign
    for instrument in ("star", "inspection", "pairing"):
        stage = q1.stages.get(instrument=instrument)
        signed(stage, tree.a, other, dept_admin, {instrument: "100"})
    services.consolidate(q1, by=dept_admin)
    assert BranchResult.objects.get(pk=results[1].pk).grade == "达标牌"
    talk = ConsequenceEffect.objects.get(kind=EffectKind.INTERVIEW)
    assert talk.status == EffectStatus.WITHDRAWN and not Interview.objects.exists()
    assert talk.withdrawn_reason == "上期考评结果已改变，本期“争先牌”不再适用此项"


def test_a_held_interview_stays_on_record_when_withdrawn(tree, dept_admin, reviewer):
    results = plaque_quarters(tree, dept_admin, reviewer, [(1, LOW), (2, LOW)])
    interview = Interview.objects.get()
    pairing.record_interview(
        interview, by=dept_admin, held_on=timezone.localdate(), record="已约谈"
    )
    services.rerate(results[2], by=dept_admin, to_grade="达标牌", reason="整改到位")
    effect = ConsequenceEffect.objects.get(kind=EffectKind.INTERVIEW)
    assert effect.status == EffectStatus.WITHDRAWN and effect.interview == interview
    assert Interview.objects.get().record == "已约谈"


def test_two_shifan_quarters_record_the_secretarys_bonus(tree, dept_admin, reviewer):
    Organization.objects.filter(pk=tree.a.pk).update(secretary_name="李书记")
    plaque_quarters(tree, dept_admin, reviewer, [(1, HIGH), (2, HIGH)])
    (bonus,) = ConsequenceEffect.objects.all()
    assert (bonus.kind, bonus.points, bonus.person) == ("bonus", 5, "李书记")
    assert bonus.label == "书记年度考核加5分（李书记）"
    assert _org(tree).category == Category.ORDINARY  # a bonus is no category


def test_an_unknown_effect_is_refused(tree, dept_admin, reviewer):
    rules = {"rules": [{"code": "x", "grade": "不达标", "text": "处理", "effect": "typo"}]}
    campaign = services.create_campaign(
        by=dept_admin,
        name="考评",
        version=simple_version("typo-test", rules),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate() - timedelta(days=3),
    )
    services.delete_stage(campaign.stages.get(kind="cross"), by=dept_admin)
    open_every_stage(campaign)
    services.open_campaign(campaign, by=dept_admin)
    signed(campaign.stages.get(kind="full"), tree.a, reviewer, dept_admin, {"1.1": "2", "1.2": "2"})
    with pytest.raises(services.AssessmentError, match="处理方式“typo”无法识别"):
        services.consolidate(campaign, by=dept_admin)


@pytest.mark.parametrize(("first", "second", "talks"), [(HIGH, LOW, 1), (LOW, HIGH, 0)])
def test_the_previous_period_is_its_latest_campaigns_result(
    first, second, talks, tree, dept_admin, reviewer
):
    """Two 亮牌 campaigns of one quarter: the "two 争先 running" rule reads the latest one's
    plate, as the board's 上季度 column does."""
    plaque_quarters(tree, dept_admin, reviewer, [(1, first), (1, second), (2, LOW)])
    assert Interview.objects.count() == talks
    plates = board.board(dept_admin, year=2026, quarter=2)[1]
    assert [p.previous for p in plates] == ["争先牌" if talks else "示范牌"]


EVERY_EFFECT_RULES = {
    "basis": "测试依据",
    "rules": [
        {"code": "admonish", "grade": "不达标", "text": "纳入后进党组织", "effect": "lagging"},
        {"code": "interview", "grade": "不达标", "text": "约谈书记", "effect": "interview"},
        {"code": "no_awards", "grade": "不达标", "text": "不得评先评优", "effect": "no_awards"},
        {"code": "talk", "grade": "不达标", "text": "谈话提醒"},
    ],
}


def _failed(name, code, orgs, dept_admin, reviewer, tree):
    """A campaign whose 全面考评 sheets of ``orgs`` are signed 不达标, not consolidated."""
    campaign = services.create_campaign(
        by=dept_admin,
        name=name,
        version=simple_version(code, EVERY_EFFECT_RULES),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate() - timedelta(days=3),
    )
    services.delete_stage(campaign.stages.get(kind="cross"), by=dept_admin)
    open_every_stage(campaign)
    services.open_campaign(campaign, by=dept_admin)
    for org in orgs:
        signed(
            campaign.stages.get(kind="full"), org, reviewer, dept_admin, {"1.1": "2", "1.2": "2"}
        )
    return campaign


def test_effects_of_a_first_consolidation_take_as_many_statements_for_three_branches_as_for_one(
    tree, dept_admin, reviewer
):
    c = make_org("C", OrgKind.BRANCH, tree.e2, name="丙党支部", secretary_name="丙书记")
    d = make_org("D", OrgKind.BRANCH, tree.e2, name="丁党支部", secretary_name="丁书记")
    one = _failed("一个支部", "effects-one", [tree.a], dept_admin, reviewer, tree)
    three = _failed("三个支部", "effects-three", [tree.b, c, d], dept_admin, reviewer, tree)
    # Secretaries named after opening (no self-assessment to wait for): the effects on a
    # secretary go on their record.
    secretaries = {
        org.pk: make_user(f"sec_{org.code}", (org, Role.SECRETARY))
        for org in (tree.a, tree.b, c, d)
    }
    with CaptureQueriesContext(connection) as small:
        services.consolidate(one, by=dept_admin)
    with CaptureQueriesContext(connection) as large:
        services.consolidate(three, by=dept_admin)
    effects = ConsequenceEffect.objects.filter(result__campaign=three).select_related("interview")
    assert sorted(e.kind for e in effects) == sorted(["interview", "lagging", "no_awards"] * 3)
    assert len(large) == len(small)
    # Each as recorded one by one: the category with its source, the interview, the
    # secretary's login on the effects that concern them, and every change audited.
    for effect in effects:
        org = Organization.objects.get(pk=effect.organization_id)
        assert org.category == Category.LAGGING
        assert org.category_source == "三个支部考评结果“不达标”：纳入后进党组织"
        if effect.kind == EffectKind.LAGGING:
            assert (effect.previous_category, effect.person_account) == (Category.ORDINARY, None)
        else:
            assert effect.person_account == secretaries[org.pk]
        if effect.kind == EffectKind.INTERVIEW:
            assert effect.interview.organization_id == org.pk
            assert effect.interview.reason == "约谈书记（三个支部“不达标”）"
            audited = AuditEntry.objects.filter(model="约谈", object_id=str(effect.interview_id))
            assert audited.filter(action="create").count() == 1
        audited = AuditEntry.objects.filter(model="结果运用记录", object_id=str(effect.pk))
        assert audited.filter(action="create").count() == 1
    for org in (tree.b, c, d):
        (entry,) = AuditEntry.objects.filter(model="党组织", object_id=str(org.pk), action="update")
        assert entry.changes["category"]["new"] == Category.LAGGING.label
        assert entry.actor == dept_admin
    assert Interview.objects.filter(organization__in=[tree.b, c, d]).count() == 3
