"""The 001 rules of the mechanisms as services and reads: the 责任期 of quarterly
evaluations at its boundaries, the helper's run of failing quarters, the acceptance's
bonus and 优先申报 (once each, audited), the 积分 ledger and the extension's end date. The
journeys (tests/journeys/test_mechanisms_001_rules.py) drive the same through the pages."""

from datetime import date
from decimal import Decimal

import pytest

from assessments.mechanisms.rules import mechanism_settings, plaque_version
from assessments.mechanisms.selectors import person_effects, points_ledger
from assessments.mechanisms.services import pairing, posts
from assessments.mechanisms.services.extensions import extended_end
from assessments.models import ConsequenceEffect, EffectKind, Evaluation, PairingEvent
from assessments.services.errors import AssessmentError
from branches.models import AuditEntry, Member
from rubrics.services import load_document, shipped_document
from tests.assessments.conftest import signed_pairing
from tests.assessments.test_consequence_effects import HIGH
from tests.assessments.test_results import plaque_quarters


@pytest.fixture
def plaque_rubric(db):
    load_document(shipped_document("xibei-2025"))


@pytest.fixture
def signed_pair(tree, dept_admin, secretary_a, plaque_rubric):
    return signed_pairing(tree, dept_admin, secretary_a)  # 2026-01-01 to 2026-06-30


def _evaluate(p, by, quarter, score, year=2026):
    return pairing.evaluate_pairing(
        p, by=by, year=year, quarter=quarter, score=Decimal(score), note=""
    )


@pytest.mark.parametrize(
    ("year", "quarter", "refused"),
    [(2025, 4, True), (2026, 1, False), (2026, 2, False), (2026, 3, True), (2027, 1, True)],
)
def test_only_quarters_of_the_term_are_evaluated(signed_pair, dept_admin, year, quarter, refused):
    if refused:
        with pytest.raises(AssessmentError, match=f"{year}年第{quarter}季度不在责任期"):
            _evaluate(signed_pair, dept_admin, quarter, "90", year=year)
        assert not Evaluation.objects.exists()
    else:
        assert _evaluate(signed_pair, dept_admin, quarter, "90", year=year).band == "达标"


def test_a_quarter_the_term_starts_or_ends_in_counts(signed_pair):
    signed_pair.start, signed_pair.end = date(2026, 3, 31), date(2026, 7, 1)
    assert pairing.term_refusal(signed_pair, 2026, 1) == ""
    assert pairing.term_refusal(signed_pair, 2026, 3) == ""
    assert pairing.term_refusal(signed_pair, 2026, 4) != ""


@pytest.mark.parametrize(
    ("scores", "barred"),
    [
        (("70", "55"), True),  # 待改进 then 重新制定: two failing quarters
        (("79.99", "79.99"), True),
        (("80", "55"), False),  # 80 is 达标
        (("55", "80"), False),
        (("55",), False),  # one is not a run
    ],
)
def test_two_failing_quarters_bar_the_helper_from_youxiu(signed_pair, dept_admin, scores, barred):
    for quarter, score in enumerate(scores, start=1):
        _evaluate(signed_pair, dept_admin, quarter, score)
    effects = ConsequenceEffect.objects.filter(kind=EffectKind.NOT_EXCELLENT)
    assert effects.count() == (1 if barred else 0)
    if barred:
        effect = effects.get()
        assert (effect.year, effect.person, effect.person_account) == (
            2026,
            "帮扶人",
            signed_pair.helper,
        )
        assert effect.label == "年度考核不得评为“优秀”（帮扶人）"
        assert effect.period_label == "2026年度" and effect.result is None
        assert AuditEntry.objects.filter(model=ConsequenceEffect._meta.verbose_name).exists()
        note = PairingEvent.objects.filter(action="季度评估").last().note
        assert note.endswith("；2026年度年度考核不得评为“优秀”（帮扶人）")


def test_a_run_across_years_counts_for_the_year_of_its_second_quarter(
    tree, dept_admin, secretary_a, plaque_rubric
):
    p = signed_pairing(tree, dept_admin, secretary_a)
    p.start, p.end = date(2025, 10, 1), date(2026, 3, 31)
    p.save()
    _evaluate(p, dept_admin, 4, "60", year=2025)
    assert not ConsequenceEffect.objects.exists()
    _evaluate(p, dept_admin, 1, "60", year=2026)
    assert ConsequenceEffect.objects.get().year == 2026


def test_acceptance_records_the_bonus_and_the_priority_once(signed_pair, dept_admin, secretary_a):
    pairing.accept_pairing(signed_pair, by=dept_admin, met=False, note="未全部实现")
    assert not ConsequenceEffect.objects.exists()  # extended: nothing yet
    pairing.accept_pairing(signed_pair, by=dept_admin, met=True, note="全部实现")
    bonus = ConsequenceEffect.objects.get(kind=EffectKind.BONUS)
    assert (bonus.points, bonus.year, bonus.person_account) == (Decimal(5), 2026, secretary_a)
    assert bonus.label == "书记年度考核加5分（甲书记）"
    priority = ConsequenceEffect.objects.get(kind=EffectKind.PRIORITY)
    assert priority.organization == signed_pair.organization and priority.year == 2026
    assert priority.label == "优先申报“标准化示范支部”"
    with pytest.raises(AssessmentError):  # accepted once
        pairing.accept_pairing(signed_pair, by=dept_admin, met=True, note="again")
    assert ConsequenceEffect.objects.count() == 2
    note = PairingEvent.objects.filter(action="期末验收").last().note
    assert note == "全部实现（2026年度书记年度考核加5分（甲书记）、优先申报“标准化示范支部”）"


def test_the_persons_record_is_scoped_to_what_the_viewer_reads(
    signed_pair, dept_admin, secretary_a, dept_admin_e2
):
    pairing.accept_pairing(signed_pair, by=dept_admin, met=True, note="全部实现")
    assert [e.kind for e in person_effects(secretary_a, viewer=secretary_a)] == ["bonus"]
    assert len(person_effects(secretary_a, viewer=dept_admin)) == 1
    assert person_effects(secretary_a, viewer=dept_admin_e2) == []  # another company


def test_without_the_rubrics_mechanism_rules_nothing_is_recorded(signed_pair, dept_admin):
    version = plaque_version()
    rules = dict(version.consequence_rules)
    rules.pop("mechanisms")
    assert mechanism_settings(type(version)(consequence_rules=rules)).acceptance is None
    settings = mechanism_settings(version)
    assert settings.helper_not_excellent.number == 2 and settings.acceptance.number == 5
    assert settings.plaque_extension.number == 1 and settings.extension_grade == "争先牌"
    assert settings.duty_points.assumed and settings.plaque_extension.assumed


def test_points_ledger_counts_each_month_once_in_two_queries(
    tree, secretary_a, plaque_rubric, django_assert_num_queries
):
    one = Member.objects.create(organization=tree.a, name="张一", status="full")
    two = Member.objects.create(organization=tree.a, name="李二", status="full")
    gone = Member.objects.create(organization=tree.a, name="王三", status="full")
    Member.objects.create(organization=tree.a, name="赵四", status="full", left_on=date(2025, 1, 1))
    for member, month, score in ((one, 1, "92"), (one, 3, "78.5"), (gone, 2, "60")):
        posts.score_member(
            member, by=secretary_a, year=2026, month=month, score=Decimal(score), note=""
        )
    Member.objects.filter(pk=gone.pk).update(left_on=date(2026, 5, 1))
    with django_assert_num_queries(2):
        rows = {r.member.name: r for r in points_ledger(tree.a, year=2026, per_point=Decimal(1))}
    assert set(rows) == {"张一", "李二", "王三"}  # 赵四 left before and was never scored
    assert rows["张一"].months[:3] == (Decimal(92), None, Decimal("78.5"))
    assert (rows["张一"].total, rows["张一"].scored) == (Decimal("170.5"), 2)
    assert (rows["李二"].total, rows["李二"].scored) == (0, 0)
    halves = points_ledger(tree.a, year=2026, per_point=Decimal("0.5"))
    assert next(r for r in halves if r.member == one).total == Decimal("85.25")
    assert two.pk in {r.member.pk for r in halves}


@pytest.mark.parametrize(
    ("year", "quarter", "quarters", "end"),
    [
        (2026, 1, 1, date(2026, 6, 30)),
        (2026, 4, 1, date(2027, 3, 31)),
        (2026, 3, 2, date(2027, 3, 31)),
        (2024, 4, 1, date(2025, 3, 31)),
    ],
)
def test_an_extended_zhengxian_period_ends_on_a_quarters_last_day(year, quarter, quarters, end):
    assert extended_end(year, quarter, quarters=quarters) == end


def test_the_plaques_bonus_is_on_the_secretarys_record_too(tree, dept_admin, reviewer, secretary_a):
    """连续2个季度获“示范牌”，支部书记年度考核加5分: the campaign's effect names the
    secretary's login, so it is on their 年度考核记录 with its quarter."""
    plaque_quarters(tree, dept_admin, reviewer, [(1, HIGH), (2, HIGH)])
    (bonus,) = person_effects(secretary_a, viewer=secretary_a)
    assert (bonus.kind, bonus.points, bonus.year) == ("bonus", 5, 2026)
    assert bonus.period_label.startswith("2026") and "季度" in bonus.period_label
