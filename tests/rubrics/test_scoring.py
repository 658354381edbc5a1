"""The scoring engine against the documents' own rules, at every boundary. No database."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rubrics import scoring
from rubrics.scoring import Entry, ScoringError, rules_from_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rubrics"


def load(code: str) -> scoring.Rules:
    return rules_from_document(json.loads((FIXTURES / f"{code}.json").read_text("utf-8")))


FULING = load("fuling-2017")
XINING = load("xining-2021")
HEGANG = load("hegang-2020")
XIBEI = load("xibei-2025")
ZZB = load("zzb-7-measures")


def full_marks(rules: scoring.Rules) -> dict[str, Decimal]:
    scores: dict[str, Decimal] = {}
    for item in rules.items():
        if item.kind == scoring.VETO:
            continue
        if item.parts:
            for part in item.parts:
                scores[part.code] = part.points
        elif rules.method == scoring.CHECKLIST:
            scores[item.code] = "达标"
        else:
            scores[item.code] = item.points
    return scores


def fuling_with_total(total: Decimal, *, shortfall_in: str | None = None) -> dict:
    """Full marks, with points taken away from non-▲ items (or from one given item)
    until the total is ``total``."""
    scores = full_marks(FULING)
    missing = Decimal(100) - total
    order = (
        [shortfall_in]
        if shortfall_in
        else [i.code for i in FULING.items() if not i.key and not i.parts]
    )
    for code in order:
        if missing <= 0:
            break
        take = min(missing, scores[code])
        scores[code] -= take
        missing -= take
    assert missing == 0, "not enough non-key points to remove"
    return scores


# -- Fuling: ≥80 合格, 60–80 基本合格, <60 不合格; ▲ unmet → not 合格 --------------------------


def test_fuling_non_key_points_allow_totals_down_to_the_bands():
    non_key = sum(i.points for i in FULING.items() if not i.key)
    # 2 + 0 + 6 + 2 + 1 + 9 + 4 + 6 by section: enough to reach 79.5 with every ▲ item full.
    assert non_key == Decimal(30)


@pytest.mark.parametrize(
    ("total", "grade"),
    [("100", "合格"), ("80", "合格"), ("79.5", "基本合格"), ("73", "基本合格")],
)
def test_fuling_bands_without_key_shortfall(total, grade):
    result = scoring.score(FULING, Entry(fuling_with_total(Decimal(total))))
    assert result.total == Decimal(total)
    assert result.grade == grade
    assert result.unmet_key_items == ()


@pytest.mark.parametrize(
    ("total", "grade"),
    [("60", "基本合格"), ("59.5", "不合格"), ("0", "不合格")],
)
def test_fuling_lower_bands(total, grade):
    scores = {code: Decimal(0) for code in full_marks(FULING)}
    # Build the total from full ▲ and non-▲ items; the grade is decided by the band alone
    # because 不合格 and 基本合格 are not the top tier.
    remaining = Decimal(total)
    for item in FULING.items():
        if item.parts:
            for part in item.parts:
                take = min(remaining, part.points)
                scores[part.code] = take
                remaining -= take
        else:
            take = min(remaining, item.points)
            scores[item.code] = take
            remaining -= take
    result = scoring.score(FULING, Entry(scores))
    assert result.total == Decimal(total)
    assert result.grade == grade


def test_fuling_key_item_half_point_short_caps_grade_at_basic():
    scores = full_marks(FULING)
    scores["2.5"] = Decimal("4.5")  # ▲ 民主集中制 item, 5 points
    result = scoring.score(FULING, Entry(scores))
    assert result.total == Decimal("99.5")
    assert result.grade == "基本合格"
    assert result.unmet_key_items == ("2.5",)
    assert any("▲项 2.5 未达标" in r and "基本合格" in r for r in result.reasons)


def test_fuling_key_shortfall_does_not_lift_a_failing_grade():
    scores = {code: Decimal(0) for code in full_marks(FULING)}
    result = scoring.score(FULING, Entry(scores))
    assert result.grade == "不合格" and len(result.unmet_key_items) == 35


def test_fuling_three_meetings_one_lesson_scores_its_four_parts():
    scores = full_marks(FULING)
    scores.update({"4.1.a": Decimal(3), "4.1.b": Decimal("2.5")})
    result = scoring.score(FULING, Entry(scores))
    item = next(i for i in result.items if i.code == "4.1")
    assert item.score == Decimal("9.5") and item.max == Decimal(11)
    assert "4.1" in result.unmet_key_items


def test_fuling_propaganda_displays_are_capped_at_the_item_points():
    scores = full_marks(FULING)  # four displays × 0.5 = 2, item worth 1
    result = scoring.score(FULING, Entry(scores))
    item = next(i for i in result.items if i.code == "7.4")
    assert item.score == Decimal(1)
    assert result.total == Decimal(100)
    scores.update({"7.4.a": 0, "7.4.b": 0, "7.4.c": 0})
    item = next(i for i in scoring.score(FULING, Entry(scores)).items if i.code == "7.4")
    assert item.score == Decimal("0.5")


def test_fuling_section_totals():
    result = scoring.score(FULING, Entry(full_marks(FULING)))
    assert [(s.code, s.total) for s in result.sections] == [
        ("1", 8),
        ("2", 13),
        ("3", 20),
        ("4", 18),
        ("5", 12),
        ("6", 15),
        ("7", 8),
        ("8", 6),
    ]


# -- Xining: 达标 / 不达标 at a pass mark (default 80); any veto fails ----------------------------


def xining_scores(total: Decimal) -> dict:
    scores = full_marks(XINING)
    missing = Decimal(100) - total
    for code in list(scores):
        take = min(missing, scores[code])
        scores[code] -= take
        missing -= take
    return scores


@pytest.mark.parametrize(("total", "grade"), [("80", "达标"), ("79.5", "不达标"), ("100", "达标")])
def test_xining_pass_mark(total, grade):
    result = scoring.score(XINING, Entry(xining_scores(Decimal(total))))
    assert result.grade == grade
    assert result.passed is (grade == "达标")


@pytest.mark.parametrize("veto", [f"V{i}" for i in range(1, 8)])
def test_xining_any_veto_fails_even_at_100(veto):
    result = scoring.score(XINING, Entry(full_marks(XINING), vetoes=frozenset({veto})))
    assert result.total == Decimal(100)
    assert result.grade == "不达标" and result.passed is False
    assert result.vetoes == (veto,)
    assert any(f"存在反向指标 {veto}" in r for r in result.reasons)


def test_xining_max_is_100_with_custom_slots():
    assert XINING.max_total == Decimal(100)
    result = scoring.score(XINING, Entry(full_marks(XINING)))
    assert [(s.code, s.max) for s in result.sections][-2:] == [("P", 25), ("V", 0)]


# -- Northwest Energy 亮牌: 40/30/30; ≥90 示范, ≥70 达标, else 争先 ----------------------------


@pytest.mark.parametrize(
    ("star", "inspection", "pairing", "total", "grade"),
    [
        (95, 85, 88, "89.9", "达标牌"),  # the document's own trap: not rounded up
        (90, 90, 90, "90", "示范牌"),
        ("89.99", "89.99", "89.99", "89.99", "达标牌"),
        (70, 70, 70, "70", "达标牌"),
        (69, 69, 69, "69", "争先牌"),
        ("69.99", "69.99", "69.99", "69.99", "争先牌"),
        (100, 0, 100, "70", "达标牌"),
    ],
)
def test_xibei_composite(star, inspection, pairing, total, grade):
    entry = Entry({"star": star, "inspection": inspection, "pairing": pairing})
    result = scoring.score(XIBEI, entry)
    assert result.total == Decimal(total)
    assert result.grade == grade


@pytest.mark.parametrize(
    ("scale", "value", "label"),
    [
        ("pairing", 80, "达标"),
        ("pairing", "79.99", "待改进"),
        ("pairing", 60, "待改进"),
        ("pairing", "59.5", "重新制定帮扶方案"),
        ("member_post", 85, "履职优秀"),
        ("member_post", 84, "履职合格"),
        ("member_post", 60, "履职合格"),
        ("member_post", "59.9", "履职不达标"),
    ],
)
def test_xibei_auxiliary_scales(scale, value, label):
    assert scoring.rate_scale(XIBEI.scales[scale], value) == label


# -- Hegang and the 7 measures: checklist levels, compliance rate by area -------------------------


def test_hegang_levels_and_rates_by_area():
    scores = full_marks(HEGANG)
    scores.update({"1": "基本达标", "2": "未达标", "38": "0.5"})
    result = scoring.score(HEGANG, Entry(scores))
    assert result.total == Decimal(36) and result.max == Decimal(38)
    area1 = result.sections[0]
    assert (area1.total, area1.max, area1.rate) == (Decimal("1.5"), Decimal(3), Decimal("50.00"))
    assert result.sections[-1].rate == Decimal("90.00")
    assert result.grade is None and result.passed is None
    assert "达标率 94.74%" in result.reasons


def test_checklist_refuses_unknown_level():
    scores = full_marks(ZZB)
    scores["3"] = "差不多"
    with pytest.raises(ScoringError, match="3：“差不多”不是有效的评定"):
        scoring.score(ZZB, Entry(scores))


def test_levels_and_points_convert_both_ways_in_the_engine():
    item = scoring.item_for(HEGANG, "1")
    assert [label for label, _ in HEGANG.levels] == ["达标", "基本达标", "未达标"]
    for label, fraction in HEGANG.levels:
        points = item.points * fraction
        assert scoring.level_points(item, HEGANG.levels, label) == points
        assert scoring.level_label(item, HEGANG.levels, points) == label
        assert scoring.to_points(HEGANG, "1", label) == points
        assert scoring.shown_value(HEGANG, "1", points) == label
    assert scoring.level_points(item, HEGANG.levels, "差不多") is None
    assert scoring.level_label(item, HEGANG.levels, item.points + 1) is None
    assert scoring.stored_level(HEGANG, "9.9", Decimal(0)) is None  # no such item
    assert scoring.to_points(HEGANG, "1", "0.5") == Decimal("0.5")  # a number stays a number
    assert scoring.shown_value(FULING, "1.1", Decimal(1)) == "1"  # not a checklist
    assert scoring.shown_value(HEGANG, "1", None) == ""


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"1.1": Decimal("1.5")}, "1.1：1.5 超出范围，应在 0 至 1 之间"),
        ({"1.1": Decimal("-0.5")}, "超出范围"),
        ({"2.5": Decimal("4.3")}, "2.5：4.3 不符合评分步长 0.5"),
        ({"9.9": 1}, "9.9：没有这个指标编码"),
        ({"4.1": 11}, "4.1：该项按分项打分"),
        ({"1.1": "很好"}, "1.1：“很好”不是数字"),
    ],
)
def test_bad_values_are_named_by_code(change, message):
    scores = full_marks(FULING)
    scores.update(change)
    with pytest.raises(ScoringError, match=message):
        scoring.score(FULING, Entry(scores))


def test_missing_items_are_listed():
    scores = full_marks(FULING)
    del scores["3.3"], scores["4.1.c"]
    with pytest.raises(ScoringError, match=r"以下指标尚未打分：3\.3、4\.1\.c"):
        scoring.score(FULING, Entry(scores))
    draft = scoring.score(FULING, Entry(scores), complete=False)
    assert draft.total == Decimal(95)


def test_unknown_veto_code_is_refused():
    with pytest.raises(ScoringError, match="V9：不是反向"):
        scoring.score(XINING, Entry(full_marks(XINING), vetoes=frozenset({"V9"})))


def test_floats_do_not_drift():
    result = scoring.score(XIBEI, Entry({"star": 95.0, "inspection": 85.0, "pairing": 88.0}))
    assert result.total == Decimal("89.9") and result.grade == "达标牌"


# -- properties -------------------------------------------------------------------------------

SCORABLE = [
    (code, (part or item).points)
    for item in FULING.items()
    if item.kind != scoring.VETO
    for code, part in ([(p.code, p) for p in item.parts] or [(item.code, None)])
]


@st.composite
def fuling_entries(draw):
    scores = {}
    for code, points in SCORABLE:
        halves = draw(st.integers(min_value=0, max_value=int(points * 2)))
        scores[code] = Decimal(halves) / 2
    return scores


@settings(max_examples=200, deadline=None)
@given(fuling_entries())
def test_total_never_exceeds_max(scores):
    result = scoring.score(FULING, Entry(scores))
    assert 0 <= result.total <= result.max == Decimal(100)


@settings(max_examples=200, deadline=None)
@given(fuling_entries(), st.sampled_from(SCORABLE))
def test_total_never_drops_when_a_score_rises(scores, target):
    code, points = target
    before = scoring.score(FULING, Entry(scores)).total
    raised = dict(scores)
    raised[code] = min(points, scores[code] + Decimal("0.5"))
    assert scoring.score(FULING, Entry(raised)).total >= before


@settings(max_examples=200, deadline=None)
@given(fuling_entries())
def test_a_key_shortfall_never_yields_the_top_tier(scores):
    result = scoring.score(FULING, Entry(scores))
    if result.unmet_key_items:
        assert result.grade != "合格"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_veto_fails(data):
    scores = {}
    for item in XINING.items():
        if item.kind != scoring.VETO:
            scores[item.code] = Decimal(data.draw(st.integers(0, 10))) / 2
    vetoes = data.draw(st.sets(st.sampled_from([f"V{i}" for i in range(1, 8)]), min_size=1))
    result = scoring.score(XINING, Entry(scores, vetoes=frozenset(vetoes)))
    assert result.grade == "不达标" and result.passed is False


@settings(max_examples=200, deadline=None)
@given(*(st.decimals(min_value=0, max_value=100, places=2) for _ in range(3)))
def test_composite_is_the_exact_weighted_sum(star, inspection, pairing):
    result = scoring.score(
        XIBEI, Entry({"star": star, "inspection": inspection, "pairing": pairing})
    )
    expected = star * Decimal("0.4") + inspection * Decimal("0.3") + pairing * Decimal("0.3")
    assert result.total == expected
    assert result.grade == (
        "示范牌" if expected >= 90 else "达标牌" if expected >= 70 else "争先牌"
    )


@pytest.mark.parametrize(
    ("total", "unmet", "grade"),
    [
        ("80", (), "合格"),
        ("99.5", ("2.5",), "基本合格"),  # an unmet ▲ item keeps it out of the top tier
        ("79.5", (), "基本合格"),
        ("60", ("2.5",), "基本合格"),
        ("59.5", (), "不合格"),
    ],
)
def test_grade_for_a_total_without_vetoes(total, unmet, grade):
    rules = scoring.Rules(
        code="t",
        version=1,
        method=scoring.POINTS,
        sections=(),
        bands=(
            scoring.Band("合格", Decimal(80), True),
            scoring.Band("基本合格", Decimal(60), True),
            scoring.Band("不合格", None, False),
        ),
        key_items_cap_top=True,
    )
    assert scoring.grade_for(rules, Decimal(total), unmet).label == grade
