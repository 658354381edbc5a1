"""Where a quarter's 亮牌 comes from: the consolidation reads each instrument's input by one
rule (a mechanism's value for the quarter where one stands, the signed sheets otherwise)
and stores it with its source; the board shows the stored result and never grades on its
own; a value arriving after 汇总 marks the result stale until consolidated again."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments import services
from assessments.mechanisms.selectors import HAND, MECHANISMS, board, stale_results
from assessments.mechanisms.services import pairing
from assessments.models import BranchResult, Inspection, InspectionStatus
from rubrics.models import RubricVersion
from rubrics.services import load_document, shipped_document
from tests.assessments.conftest import signed_pairing
from tests.assessments.test_results import signed

CODES = ("star", "inspection", "pairing")


@pytest.fixture
def plaque(db):
    load_document(shipped_document("xibei-2025"))
    return RubricVersion.objects.get(rubric__code="xibei-2025")


def quarter(tree, admin, reviewer, version, number, scores: dict) -> object:
    """A 2026 亮牌 campaign of quarter ``number``; ``scores``: organization → the three
    instruments' signed sheets."""
    campaign = services.create_campaign(
        by=admin,
        name=f"2026年第{number}季度亮牌",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=number,
        template="xibei",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=admin)
    for org, values in scores.items():
        for code, value in zip(CODES, values, strict=True):
            stage = campaign.stages.get(instrument=code)
            signed(stage, org, reviewer, admin, {code: str(value)})
    return campaign


def inspected(org, version, score: str, by) -> Inspection:
    """A submitted 互查评分表 of quarter 2 (its form is the journeys' business)."""
    return Inspection.objects.create(
        created_by=by,
        organization=org,
        version=version,
        year=2026,
        quarter=2,
        scheduled_on=date(2026, 5, 1),
        status=InspectionStatus.SUBMITTED,
        total=Decimal(score),
    )


def result(campaign, org) -> BranchResult:
    return BranchResult.objects.get(campaign=campaign, organization=org)


def test_consolidation_takes_the_mechanisms_values_and_keeps_their_sources(
    tree, dept_admin, reviewer, secretary_a, plaque
):
    campaign = quarter(
        tree, dept_admin, reviewer, plaque, 2, {tree.a: (90, 90, 90), tree.b: (90, 90, 90)}
    )
    pair = signed_pairing(tree, dept_admin, secretary_a)
    pairing.evaluate_pairing(
        pair, by=dept_admin, year=2026, quarter=2, score=Decimal("79.5"), note=""
    )
    inspected(tree.a, plaque, "95", dept_admin)
    inspected(tree.a, plaque, "85", dept_admin)  # two inspections in the quarter: their average
    # Another quarter's evaluation is not this quarter's input.
    pairing.evaluate_pairing(
        pair, by=dept_admin, year=2026, quarter=1, score=Decimal("10"), note=""
    )

    services.consolidate(campaign, by=dept_admin)

    a = result(campaign, tree.a)
    # 90×40% + 90×30% + 79.5×30% = 86.85
    assert (a.total, a.grade) == (Decimal("86.85"), "达标牌")
    assert a.inputs == {
        "star": {"score": "90", "source": HAND, "count": 1},
        "inspection": {"score": "90", "source": MECHANISMS["inspection"], "count": 2},
        "pairing": {"score": "79.5", "source": MECHANISMS["pairing"], "count": 1},
    }
    assert "帮扶成效评分取自结对帮扶成效评估 79.5" in a.source_note
    b = result(campaign, tree.b)
    assert (b.total, b.grade) == (Decimal("90"), "示范牌")
    assert {v["source"] for v in b.inputs.values()} == {HAND}
    assert stale_results(campaign) == (set(), set())


def test_a_late_value_marks_the_result_stale_and_changes_nothing_until_consolidated(
    tree, dept_admin, reviewer, secretary_a, plaque
):
    campaign = quarter(
        tree, dept_admin, reviewer, plaque, 2, {tree.a: (80, 80, 80), tree.b: (90, 90, 90)}
    )
    services.consolidate(campaign, by=dept_admin)
    assert stale_results(campaign) == (set(), set())

    inspected(tree.b, plaque, "50", dept_admin)
    assert stale_results(campaign) == ({tree.b.pk}, set())
    b = result(campaign, tree.b)
    assert (b.total, b.grade) == (Decimal("90"), "示范牌")  # no other 牌 anywhere
    [plate] = [p for p in board.board(dept_admin, year=2026, quarter=2)[1] if p.org == tree.b]
    assert (plate.total, plate.grade, plate.stale) == (Decimal("90"), "示范牌", True)
    assert plate.standing == {"inspection": (Decimal("50"), MECHANISMS["inspection"])}
    # The secretary of the other branch reads only their own plate: nothing to flag there.
    [own] = board.board(secretary_a, year=2026, quarter=2)[1]
    assert (own.org, own.grade, own.stale) == (tree.a, "达标牌", False)

    services.consolidate(campaign, by=dept_admin)
    b = result(campaign, tree.b)
    # 90×40% + 50×30% + 90×30% = 78
    assert (b.total, b.grade) == (Decimal("78"), "达标牌")
    assert stale_results(campaign) == (set(), set())


def test_complete_inputs_without_a_result_wait_for_consolidation(
    tree, dept_admin, reviewer, plaque
):
    campaign = quarter(tree, dept_admin, reviewer, plaque, 2, {tree.b: (90, 90, 90)})
    assert stale_results(campaign) == (set(), {tree.b.pk})
    [plate] = board.board(dept_admin, year=2026, quarter=2)[1]
    assert plate.pending and plate.total is None and plate.grade == ""
    assert plate.values["star"] == (Decimal("90"), HAND)


def test_the_board_shows_the_stored_results_and_their_consequences(
    tree, dept_admin, reviewer, plaque
):
    """Two quarters: the plate, the previous quarter's and the consequences (连续 two
    quarters) are the consolidation's, as stored."""
    q1 = quarter(
        tree, dept_admin, reviewer, plaque, 1, {tree.a: (60, 60, 60), tree.b: (95, 95, 95)}
    )
    services.consolidate(q1, by=dept_admin)
    q2 = quarter(
        tree, dept_admin, reviewer, plaque, 2, {tree.a: (65, 60, 60), tree.b: (90, 90, 90)}
    )
    services.consolidate(q2, by=dept_admin)

    _, plates = board.board(dept_admin, year=2026, quarter=2)
    by_name = {p.org.name: p for p in plates}
    a, b = by_name["甲党支部"], by_name["乙党支部"]
    assert (a.total, a.grade, a.previous) == (Decimal("62"), "争先牌", "争先牌")
    assert any("连续2个季度争先牌" in c for c in a.consequences)
    assert (b.total, b.grade, b.previous) == (Decimal("90"), "示范牌", "示范牌")
    assert any("加5分" in c for c in b.consequences)
    assert b.history[0][:3] == (2026, 1, "示范牌")
    assert a.campaign == q2 and not a.stale and not a.pending
    # The same facts as the results ledger.
    stored = result(q2, tree.a)
    assert sorted(a.consequences) == sorted(c.text for c in stored.consequences.all())


def test_the_board_reads_in_a_number_of_queries_that_does_not_grow_with_branches(
    tree, dept_admin, reviewer, plaque
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = quarter(tree, dept_admin, reviewer, plaque, 2, {tree.a: (90, 90, 90)})
    services.consolidate(campaign, by=dept_admin)
    with CaptureQueriesContext(connection) as one:
        assert len(board.board(dept_admin, year=2026, quarter=2)[1]) == 1
    for code in CODES:
        signed(campaign.stages.get(instrument=code), tree.b, reviewer, dept_admin, {code: "70"})
    services.consolidate(campaign, by=dept_admin)
    inspected(tree.b, plaque, "95", dept_admin)  # b is stale now: still the same reads
    with CaptureQueriesContext(connection) as two:
        plates = board.board(dept_admin, year=2026, quarter=2)[1]
    assert {p.org.pk: p.stale for p in plates} == {tree.a.pk: False, tree.b.pk: True}
    assert len(two) == len(one)
