"""Scores suggested from meeting records: each period's share of the points (004's 三会一课
parts), rounded down to the step; checklist levels (河钢) by the share of periods met."""

from decimal import Decimal

import pytest

from rubrics.scoring import RecordTally, ordered_levels, suggest_from_records

D = Decimal
LEVELS = ordered_levels({"达标": "1", "基本达标": "0.5", "未达标": "0"})


@pytest.mark.parametrize(
    ("points", "met", "counted", "expected"),
    [
        ("3", 3, 3, "3"),  # 支委会 in a quarter: every month held
        ("3", 2, 3, "2"),  # one month missed loses its share
        ("3", 11, 12, "2.5"),  # a year, one missed: 2.75 rounded down to the 0.5 step
        ("4", 0, 1, "0"),
        ("4", 4, 4, "4"),
        ("2", 1, 1, "2"),
    ],
)
def test_points_by_share_of_periods(points, met, counted, expected):
    s = suggest_from_records(D(points), D("0.5"), (RecordTally("支委会 每月1次", met, counted),))
    assert s.value == D(expected)
    assert s.reasons[0] == f"支委会 每月1次：应 {counted} 期，达到 {met} 期"


def test_rounding_is_explained():
    s = suggest_from_records(D("3"), D("0.5"), (RecordTally("支委会 每月1次", 11, 12),))
    assert s.reasons[-1] == "按比例为 2.75 分，按步长 0.5 向下取 2.5 分"


def test_nothing_counted_yet_suggests_nothing():
    assert (
        suggest_from_records(D("1"), D("0.5"), (RecordTally("书记讲党课 每年1次", 0, 0),)) is None
    )


@pytest.mark.parametrize(
    ("met", "counted", "level"),
    [(20, 20, "达标"), (19, 20, "基本达标"), (10, 20, "基本达标"), (9, 20, "未达标")],
)
def test_checklist_level_by_share(met, counted, level):
    tallies = (
        RecordTally("支委会 每月1次", met - met // 2, counted // 2),
        RecordTally("党员大会 每季度1次", met // 2, counted - counted // 2),
    )
    s = suggest_from_records(D("1"), D("0.5"), tallies, LEVELS)
    assert s.level == level
    assert s.value == dict(LEVELS)[level]


def test_an_item_without_a_step_gets_a_suggestion_to_the_hundredth_never_a_long_fraction():
    """6 of 11 periods of a 1-point item: 0.5454… is suggested as 0.54 (rounded down)."""
    s = suggest_from_records(D("1"), D("0"), (RecordTally("党小组会 每月1次", 6, 11),))
    assert s.value == D("0.54")
    assert s.reasons[-1] == "按比例约为 0.5455 分，按步长 0.01 向下取 0.54 分"
