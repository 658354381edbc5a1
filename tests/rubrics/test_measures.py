"""What each method reports over a campaign's objects, from the shipped rubrics' own grades
and levels. No database."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from rubrics import scoring
from rubrics.scoring import Measure, rules_from_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rubrics"


def load(code: str) -> scoring.Rules:
    return rules_from_document(json.loads((FIXTURES / f"{code}.json").read_text("utf-8")))


FULING, XINING, XIBEI, HEGANG = (
    load(c) for c in ("fuling-2017", "xining-2021", "xibei-2025", "hegang-2020")
)


@pytest.mark.parametrize(
    ("rules", "grades", "objects", "expected"),
    [
        # 涪陵: 合格 alone, then 合格 with 基本合格 — each named by what it counts.
        (
            FULING,
            {"合格": 10, "基本合格": 7, "不合格": 2},
            19,
            [("合格率", 10, 52.6), ("合格+基本合格率", 17, 89.5)],
        ),
        # 西宁: one passing grade, one rate.
        (XINING, {"达标": 15, "不达标": 1}, 16, [("达标率", 15, 93.8)]),
        # 亮牌: 示范牌 alone, then 示范牌 with 达标牌.
        (
            XIBEI,
            {"示范牌": 1, "达标牌": 3, "争先牌": 1},
            5,
            [("示范牌率", 1, 20.0), ("示范牌+达标牌率", 4, 80.0)],
        ),
        # Objects without a result count in the denominator: 1 of 17 is not 100%.
        (XINING, {"达标": 1}, 17, [("达标率", 1, 5.9)]),
        # No objects: no rate, never 0%.
        (XINING, {}, 0, [("达标率", 0, None)]),
    ],
)
def test_band_measures(rules, grades, objects, expected):
    measures = scoring.band_measures(rules.bands, grades, objects)
    assert [(m.label, m.count, m.rate) for m in measures] == expected
    assert all(m.of == objects for m in measures)


def test_band_measures_say_which_grades_they_count():
    first, both = scoring.band_measures(FULING.bands, {}, 3)
    assert (first.grades, both.grades) == (("合格",), ("合格", "基本合格"))


def test_checklist_measure_is_the_share_of_points():
    assert scoring.checklist_measure(Decimal("149.5"), Decimal(152)) == Measure(
        "要点达标率", Decimal("149.5"), Decimal(152), 98.36
    )
    assert scoring.checklist_measure(Decimal(0), Decimal(0)).rate is None


def test_level_counts_read_each_stored_score_as_its_level():
    # 河钢 points are worth 1 / 0.5 / 0: three points 达标 on one branch, one 基本达标,
    # two 未达标; a score no level stands for (0.3) and an unknown code count nowhere.
    judged = {
        ("1", Decimal("1.000")): 3,
        ("2", Decimal("0.500")): 1,
        ("7", Decimal("0")): 2,
        ("8", Decimal("0.3")): 1,
        ("99", Decimal(1)): 4,
    }
    assert scoring.level_counts(HEGANG, judged) == [("达标", 3), ("基本达标", 1), ("未达标", 2)]
    assert scoring.level_counts(HEGANG, {}) == [("达标", 0), ("基本达标", 0), ("未达标", 0)]
