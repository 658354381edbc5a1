"""Consolidation rules and the documents' consequence rules across years and quarters."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments import selectors, services
from assessments.models import (
    BranchResult,
    Campaign,
    Consequence,
    RectificationItem,
    ScoreSheet,
    Stage,
)
from branches.models import Role
from tests.assessments.conftest import shipped_consequence_rules, simple_version
from tests.conftest import make_user, xining_start


def signed(stage: Stage, org, assessor, admin, values, vetoes=None, notes=None) -> ScoreSheet:
    sheet, _ = ScoreSheet.objects.get_or_create(
        stage=stage,
        organization=org,
        assessor=assessor,
        defaults={"campaign": stage.campaign, "rubric_version": stage.campaign.rubric_version},
    )
    services.save_entries(
        sheet, by=assessor, revision=sheet.revision, values=values, vetoes=vetoes, notes=notes
    )
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=assessor)
    return services.sign_sheet(sheet, by=admin)


@pytest.fixture
def xining(tree, dept_admin, secretary_a, reviewer):
    campaign = services.create_campaign(
        by=dept_admin,
        name="以评促建",
        version=simple_version("xining-test"),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="xining",
        # Planned 88 days ago: the 抽查点评 opens today and the self-assessment has ended,
        # so the reviews may be submitted now (the workflow's gates).
        start=xining_start(timezone.localdate()),
    )
    # This tree has no cross-review groups: a plan that cannot be drawn is refused before
    # opening, so these consolidation tests do without the cross-review stage.
    services.delete_stage(campaign.stages.get(kind="cross"), by=dept_admin)
    services.open_campaign(campaign, by=dept_admin)
    return campaign


def stage(campaign, kind):
    return campaign.stages.get(kind=kind)


def test_latest_authoritative_stage_wins_and_self_is_never_final(
    xining, tree, dept_admin, secretary_a, reviewer
):
    spot = make_user("inspector", (tree.root, Role.REVIEWER))
    signed(stage(xining, "self"), tree.a, secretary_a, dept_admin, {"1.1": "5", "1.2": "5"})
    signed(stage(xining, "full"), tree.a, reviewer, dept_admin, {"1.1": "5", "1.2": "4"})
    services.consolidate(xining, by=dept_admin)
    result = BranchResult.objects.get(campaign=xining, organization=tree.a)
    assert (result.total, result.grade, result.source_note) == (9, "达标", "最终结果取自全面考评")
    signed(stage(xining, "spot"), tree.a, spot, dept_admin, {"1.1": "3", "1.2": "4"})
    services.consolidate(xining, by=dept_admin)
    result.refresh_from_db()
    assert (result.total, result.grade, result.source_note) == (7, "不达标", "最终结果取自抽查点评")
    # B has only a self-assessment: no final result.
    assert not BranchResult.objects.filter(organization=tree.b).exists()


def test_veto_found_at_review_stands_unless_overturned_later(
    xining, tree, dept_admin, reviewer, client
):
    spot = make_user("inspector", (tree.root, Role.REVIEWER))
    signed(
        stage(xining, "full"),
        tree.a,
        reviewer,
        dept_admin,
        {"1.1": "5", "1.2": "5"},
        vetoes={"V1": "班子成员公开对立"},
    )
    signed(stage(xining, "spot"), tree.a, spot, dept_admin, {"1.1": "5", "1.2": "5"})
    services.consolidate(xining, by=dept_admin)
    result = BranchResult.objects.get(campaign=xining, organization=tree.a)
    assert result.total == 10 and result.grade == "不达标" and result.vetoes == ["V1"]
    assert "否决项V1成立" in result.source_note
    assert RectificationItem.objects.filter(result=result, kind="veto", code="V1").exists()
    # The 推翻 form offers the result by code and name (two branches may share a name).
    client.force_login(dept_admin)
    page = client.get(f"/campaigns/{xining.pk}/results/").content.decode()
    assert f'<option value="{tree.a.code}">{tree.a.code} {tree.a.name}（V1）</option>' in page
    with pytest.raises(services.AssessmentError, match="必须写明理由"):
        services.overturn_veto(
            by=dept_admin,
            campaign=xining,
            organization=tree.a,
            code="V1",
            stage=stage(xining, "spot"),
            reason=" ",
        )
    with pytest.raises(services.AssessmentError, match="之后的阶段"):
        services.overturn_veto(
            by=dept_admin,
            campaign=xining,
            organization=tree.a,
            code="V1",
            stage=stage(xining, "full"),
            reason="误判",
        )
    services.overturn_veto(
        by=dept_admin,
        campaign=xining,
        organization=tree.a,
        code="V1",
        stage=stage(xining, "spot"),
        reason="抽查核实：班子已调整，团结正常",
    )
    services.consolidate(xining, by=dept_admin)
    result.refresh_from_db()
    assert result.grade == "达标" and result.vetoes == []
    assert result.overturned == [
        {"code": "V1", "stage": "抽查点评", "reason": "抽查核实：班子已调整，团结正常"}
    ]


def test_deductions_and_key_items_open_rectification_items(xining, tree, dept_admin, reviewer):
    signed(
        stage(xining, "full"),
        tree.a,
        reviewer,
        dept_admin,
        {"1.1": "4", "1.2": "3.5"},
        notes={"1.2": "主题党日记录缺两次"},
    )
    services.consolidate(xining, by=dept_admin)
    items = {i.code: i for i in RectificationItem.objects.filter(organization=tree.a)}
    assert items["1.1"].kind == "key_item" and items["1.2"].kind == "deduction"
    # The reviewer's 扣分说明 where there is one; the engine's line where there is none.
    assert items["1.2"].problem == "主题党日记录缺两次"
    assert items["1.1"].problem.startswith("1.1 ") and "得分 4 / 5" in items["1.1"].problem
    assert items["1.1"].deadline == timezone.localdate() + timedelta(days=60)
    services.consolidate(xining, by=dept_admin)  # idempotent
    assert RectificationItem.objects.filter(organization=tree.a).count() == 2


def test_a_lines_text_is_the_latest_stages_note_else_any_stages_note(
    xining, tree, dept_admin, reviewer
):
    # Each shortfall of a branch is one line however many stages found it: its text the
    # 扣分说明 of the latest stage that wrote one, else the engine's line of the latest.
    spot = make_user("inspector", (tree.root, Role.REVIEWER))
    full_notes = {"1.1": "全面考评：记录不全", "1.2": "全面考评：缺两次"}
    signed(
        stage(xining, "full"),
        tree.a,
        reviewer,
        dept_admin,
        {"1.1": "4", "1.2": "3"},
        notes=full_notes,
    )
    signed(
        stage(xining, "spot"),
        tree.a,
        spot,
        dept_admin,
        {"1.1": "4", "1.2": "3.5"},
        notes={"1.2": "抽查点评：仍缺一次"},
    )
    services.consolidate(xining, by=dept_admin)
    items = {
        (i.code, i.kind): i.problem for i in RectificationItem.objects.filter(organization=tree.a)
    }
    assert items[("1.2", "deduction")] == "抽查点评：仍缺一次"
    assert items[("1.1", "key_item")] == "全面考评：记录不全"


def test_xining_failing_branch_is_excluded_from_awards(xining, tree, dept_admin, reviewer):
    signed(stage(xining, "full"), tree.a, reviewer, dept_admin, {"1.1": "3", "1.2": "3"})
    services.consolidate(xining, by=dept_admin)
    (consequence,) = Consequence.objects.filter(result__organization=tree.a)
    assert consequence.rule == "excluded" and "不得参加评先评优" in consequence.text
    done = services.record_consequence(
        consequence, by=dept_admin, action="已从2026年度评先名单中剔除"
    )
    assert done.status == "done" and done.done_by == dept_admin


# -- consequences across periods, straight from the rules ----------------------------------------


@pytest.mark.parametrize(
    ("code", "grade", "previous", "rules"),
    [
        ("fuling-2017", "合格", None, []),
        ("fuling-2017", "基本合格", None, ["talk_reminder"]),
        ("fuling-2017", "不合格", "合格", ["admonish"]),
        ("fuling-2017", "不合格", "基本合格", ["admonish"]),
        ("fuling-2017", "不合格", "不合格", ["admonish", "adjust_secretary"]),
        ("xibei-2025", "示范牌", "示范牌", ["bonus"]),
        ("xibei-2025", "示范牌", "达标牌", []),
        ("xibei-2025", "争先牌", "达标牌", ["no_awards", "rectify_or_extend"]),
        ("xibei-2025", "争先牌", "争先牌", ["no_awards", "rectify_or_extend", "talk_secretary"]),
        ("xining-2021", "不达标", None, ["excluded"]),
        ("xining-2021", "达标", "不达标", []),
    ],
)
def test_consequence_rules(code, grade, previous, rules):
    assert [r.code for r in services.consequences_for(code, grade, previous)] == rules


def _fuling_result(org, year, grade, admin, version):
    campaign = Campaign.objects.create(
        name=f"{year}年度",
        rubric_version=version,
        scope=org.enterprise,
        kinds=["branch"],
        year=year,
        created_by=admin,
        status="open",
    )
    return BranchResult.objects.create(
        campaign=campaign,
        organization=org,
        source_note="历史",
        total=50,
        max_total=100,
        grade=grade,
        passed=False,
        year=year,
        rubric_code="fuling-2017",
    )


def test_fuling_two_failing_years_in_a_row_across_campaigns(tree, dept_admin, reviewer):
    from django.core.management import call_command

    from rubrics.models import RubricVersion

    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    _fuling_result(tree.a, 2024, "不合格", dept_admin, version)  # not the previous year
    campaign = services.create_campaign(
        by=dept_admin,
        name="2026年度",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="fuling",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=dept_admin)
    scores = {}
    rules = selectors.sheet_rules(
        ScoreSheet(stage=campaign.stages.get(), campaign=campaign, rubric_version=version)
    )
    for item in rules.items():
        for code in [p.code for p in item.parts] or [item.code]:
            scores[code] = "0"
    signed(campaign.stages.get(), tree.a, reviewer, dept_admin, scores)
    services.consolidate(campaign, by=dept_admin)
    rules_now = set(
        Consequence.objects.filter(result__campaign=campaign).values_list("rule", flat=True)
    )
    assert rules_now == {"admonish"}  # 2024 is not the year before 2026
    _fuling_result(tree.a, 2025, "不合格", dept_admin, version)
    services.consolidate(campaign, by=dept_admin)
    rules_now = set(
        Consequence.objects.filter(result__campaign=campaign).values_list("rule", flat=True)
    )
    assert rules_now == {"admonish", "adjust_secretary"}


def plaque_quarters(tree, dept_admin, reviewer, plan) -> dict[int, BranchResult]:
    """One 西北能化 亮牌 campaign per (quarter, (星级, 互查, 帮扶成效)) of ``plan`` in 2026,
    branch A's three instrument sheets signed with those scores, consolidated in turn.
    Returns branch A's result per quarter (the last campaign's when one repeats)."""
    from django.core.management import call_command

    from rubrics.models import RubricVersion

    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="xibei-2025")
    out = {}
    for quarter, scores in plan:
        campaign = services.create_campaign(
            by=dept_admin,
            name=f"2026年第{quarter}季度亮牌",
            version=version,
            scope=tree.root,
            year=2026,
            quarter=quarter,
            template="xibei",
            start=timezone.localdate(),
        )
        services.open_campaign(campaign, by=dept_admin)
        for instrument, value in zip(("star", "inspection", "pairing"), scores, strict=True):
            stage = campaign.stages.get(instrument=instrument)
            signed(stage, tree.a, reviewer, dept_admin, {instrument: value})
        services.consolidate(campaign, by=dept_admin)
        out[quarter] = BranchResult.objects.get(campaign=campaign, organization=tree.a)
    return out


def test_xibei_quarters_composite_and_consecutive_plaques(tree, dept_admin, reviewer):
    results = plaque_quarters(
        tree,
        dept_admin,
        reviewer,
        [
            (1, ("95", "95", "95")),
            (2, ("95", "92", "90")),
            (3, ("60", "65", "60")),
            (4, ("60", "60", "70")),
        ],
    )
    grades = [
        (r.total, r.grade, sorted(r.consequences.values_list("rule", flat=True)))
        for _, r in sorted(results.items())
    ]
    assert grades == [
        (Decimal("95"), "示范牌", []),
        (Decimal("92.6"), "示范牌", ["bonus"]),
        (Decimal("61.5"), "争先牌", ["no_awards", "rectify_or_extend"]),
        (Decimal("63"), "争先牌", ["no_awards", "rectify_or_extend", "talk_secretary"]),
    ]
    q4 = BranchResult.objects.get(campaign__quarter=4, organization=tree.a)
    with pytest.raises(services.AssessmentError, match="必须写明决定理由"):
        services.rerate(q4, by=dept_admin, to_grade="达标牌", reason="")
    # After rectification a 争先 branch may be re-rated 达标牌, and only that.
    with pytest.raises(services.AssessmentError, match="争先牌”整改后改评为“达标牌"):
        services.rerate(q4, by=dept_admin, to_grade="示范牌", reason="整改很好")
    rerated = services.rerate(
        q4, by=dept_admin, to_grade="达标牌", reason="整改到位，经党委会研究更换为达标牌"
    )
    assert (rerated.grade, rerated.original_grade) == ("达标牌", "争先牌")
    assert rerated.reratings.get().reason.startswith("整改到位")


# -- the rules are the version's data -------------------------------------------------------


def _full_review_campaign(version, tree, dept_admin):
    campaign = services.create_campaign(
        by=dept_admin,
        name="以评促建",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="xining",
        # Planned 88 days ago: the 抽查点评 opens today and the self-assessment has ended,
        # so the reviews may be submitted now (the workflow's gates).
        start=xining_start(timezone.localdate()),
    )
    services.delete_stage(campaign.stages.get(kind="cross"), by=dept_admin)
    services.open_campaign(campaign, by=dept_admin)
    return campaign


def test_rules_come_from_the_version_not_the_code(tree, dept_admin, reviewer):
    # A Xining-coded version that carries other rules: those rules apply, with their basis.
    rules = {
        **shipped_consequence_rules("fuling"),
        "rules": [{"code": "talk_reminder", "grade": "不达标", "text": "谈话提醒"}],
    }
    campaign = _full_review_campaign(simple_version("xining-own", rules), tree, dept_admin)
    signed(stage(campaign, "full"), tree.a, reviewer, dept_admin, {"1.1": "3", "1.2": "3"})
    services.consolidate(campaign, by=dept_admin)
    (consequence,) = Consequence.objects.filter(result__organization=tree.a)
    assert (consequence.rule, consequence.text) == ("talk_reminder", "谈话提醒")
    assert consequence.basis.startswith("涪区委组〔2017〕86号")


def test_a_version_without_rules_sets_off_no_consequence(tree, dept_admin, reviewer):
    campaign = _full_review_campaign(simple_version("xining-none", {}), tree, dept_admin)
    signed(stage(campaign, "full"), tree.a, reviewer, dept_admin, {"1.1": "3", "1.2": "3"})
    services.consolidate(campaign, by=dept_admin)
    assert BranchResult.objects.get(campaign=campaign, organization=tree.a).grade == "不达标"
    assert not Consequence.objects.filter(result__organization=tree.a).exists()
