"""Pairing (结对提升): every write, each in one transaction with its audit entry (model
signals) and, for a change of state, a PairingEvent row."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import Organization, User
from branches.toolkit.periods import add_months, previous_period, window

from ...models import (
    Diagnosis,
    EffectKind,
    Evaluation,
    Interview,
    MonthlyReport,
    NoticeKind,
    Pairing,
    PairingEvent,
    PairingStatus,
    Plan,
    PlanKind,
    ProblemSource,
    RectificationItem,
    RectificationKind,
    Visit,
)
from ...notices.tasks import announce
from ...services.consequences import record_pairing_effect, secretary_account
from ...services.errors import AssessmentError, acting
from .. import rules as plaque

PARTIES = {
    "a": ("signed_a_at", "甲方"),
    "b": ("signed_b_at", "乙方"),
    "s": ("signed_s_at", "监督方"),
}


def _event(pairing: Pairing, *, by: User, action: str, before: str, note: str = "") -> None:
    PairingEvent.objects.create(
        pairing=pairing,
        actor=by,
        action=action,
        from_status=before,
        to_status=pairing.status,
        note=note[:2000],
    )


def _locked(pairing: Pairing) -> Pairing:
    return Pairing.objects.select_for_update().select_related("organization").get(pk=pairing.pk)


def create_pairing(*, by: User, organization: Organization, supervisor: Organization, data: dict):
    """A new pairing (待签订) with its first 个性化提升方案 (empty until the diagnosis)."""
    with transaction.atomic(), acting(by):
        pairing = Pairing(organization=organization, supervisor=supervisor, created_by=by, **data)
        pairing.full_clean()
        pairing.save()
        Plan.objects.create(pairing=pairing, number=1, kind=PlanKind.PLAN, reason="结对后制定")
        _event(pairing, by=by, action="创建结对", before="")
    return pairing


def sign_pairing(pairing: Pairing, *, by: User, party: str) -> Pairing:
    """One party signs the 责任书; with all three signatures it takes effect (帮扶中)."""
    field, label = PARTIES[party]
    with transaction.atomic(), acting(by):
        pairing = _locked(pairing)
        if getattr(pairing, field):
            raise AssessmentError(f"{label}已签字。")
        if pairing.status != PairingStatus.DRAFT:
            raise AssessmentError("责任书已生效，不能再签字。")
        setattr(pairing, field, timezone.now())
        if party == "b":
            pairing.signed_by_b = by.get_full_name()
        before = pairing.status
        if pairing.signed:
            pairing.status = PairingStatus.ACTIVE
        pairing.save()
        _event(pairing, by=by, action=f"{label}签字", before=before)
    return pairing


def _current_plan(pairing: Pairing) -> Plan:
    return pairing.plans.latest("number")  # plan 1 is made with the pairing


def add_weakness(pairing: Pairing, *, by: User, problem: str) -> RectificationItem:
    """A line of the 支部短板问题清单 the pair addresses, on the branch's one problem list;
    it is to be fixed within the pairing's term."""
    with transaction.atomic(), acting(by):
        # The pairing's row lock: two weaknesses added at once get two numbers.
        Pairing.objects.select_for_update().filter(pk=pairing.pk).exists()
        number = RectificationItem.objects.filter(pairing=pairing, plan__isnull=True).count() + 1
        return RectificationItem.objects.create(
            organization=pairing.organization,
            source=ProblemSource.PAIRING,
            pairing=pairing,
            found_on=timezone.localdate(),
            created_by=by,
            code=f"短板{number}",
            kind=RectificationKind.PROBLEM,
            problem=problem,
            deadline=pairing.end,
        )


def write_diagnosis(pairing: Pairing, *, by: User, data: dict) -> Diagnosis:
    with transaction.atomic(), acting(by):
        diagnosis = Diagnosis(pairing=pairing, written_by=by, **data)
        diagnosis.full_clean()
        diagnosis.save()
    return diagnosis


def add_plan_item(pairing: Pairing, *, by: User, problem: str, responsible: str, deadline: date):
    """An action of the current 提升方案: 具体动作, 责任人, 时限, followed to closure."""
    if pairing.status in (PairingStatus.PASSED, PairingStatus.FAILED):
        raise AssessmentError("结对已验收，不能再增加方案措施。")
    with transaction.atomic(), acting(by):
        plan = _current_plan(pairing)
        return RectificationItem.objects.create(
            organization=pairing.organization,
            source=ProblemSource.PAIRING,
            pairing=pairing,
            plan=plan,
            found_on=timezone.localdate(),
            created_by=by,
            code=f"方案{plan.number}-{plan.items.count() + 1}",
            kind=RectificationKind.PROBLEM,
            problem=problem,
            responsible=responsible,
            deadline=deadline,
        )


def record_visit(pairing: Pairing, *, by: User, data: dict) -> Visit:
    if pairing.status == PairingStatus.DRAFT:
        raise AssessmentError("责任书签订生效后才能记录帮扶台账。")
    with transaction.atomic(), acting(by):
        visit = Visit(pairing=pairing, recorded_by=by, **data)
        visit.full_clean()
        visit.save()
    return visit


def submit_monthly_report(pairing: Pairing, *, by: User, data: dict) -> MonthlyReport:
    if MonthlyReport.objects.filter(
        pairing=pairing, year=data["year"], month=data["month"]
    ).exists():
        raise AssessmentError(f"{data['year']}年{data['month']}月的进展已报告过。")
    with transaction.atomic(), acting(by):
        report = MonthlyReport(pairing=pairing, reported_by=by, **data)
        report.full_clean()
        report.save()
    return report


def visits_by_month(pairing: Pairing) -> list[tuple[int, int, int, bool]]:
    """(year, month, visits, met) for each month of the period so far, against the
    agreement's visits per month (≥ 2)."""
    counts: dict[tuple[int, int], int] = {}
    for on in pairing.visits.values_list("on", flat=True):
        counts[(on.year, on.month)] = counts.get((on.year, on.month), 0) + 1
    today = timezone.localdate()
    last = min(today, pairing.end)
    out, year, month = [], pairing.start.year, pairing.start.month
    while (year, month) <= (last.year, last.month):
        n = counts.get((year, month), 0)
        out.append((year, month, n, n >= pairing.visits_per_month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def term_refusal(pairing: Pairing, year: int, quarter: int) -> str:
    """Why a quarter cannot be evaluated: the agreement is evaluated each quarter of its
    term (责任期), so a quarter wholly before or after the term is refused ("" if it may)."""
    first, last = window(year, quarter)
    if last < pairing.start or first > pairing.end:
        return (
            f"{year}年第{quarter}季度不在责任期（{pairing.start:%Y-%m-%d} 至 "
            f"{pairing.end:%Y-%m-%d}）内：帮扶成效只评估责任期内的季度。"
        )
    return ""


def failing_run(pairing: Pairing, *, year: int, quarter: int, length: int) -> bool:
    """Whether the quarter and the ``length - 1`` quarters before it were all evaluated
    and none reached the 达标 band (连续 N 次季度评估不达标)."""
    passed = passed_bands()
    bands: dict[tuple[int, int | None], str] = dict(
        ((y, q), band)
        for y, q, band in Evaluation.objects.filter(pairing=pairing).values_list(
            "year", "quarter", "band"
        )
    )
    period: tuple[int, int | None] = (year, quarter)
    for _ in range(length):
        band = bands.get(period)
        if band is None or band in passed:
            return False
        period = previous_period(period[0], period[1])
    return True


def _helper_effect(pairing: Pairing, evaluation: Evaluation, *, by: User) -> str:
    """甲方…连续2次季度评估不达标者，年度考核不得评为“优秀”: recorded against the helper
    for the year of the quarter that completes the run."""
    rule = plaque.mechanism_settings().helper_not_excellent
    if rule is None or rule.number is None:
        return ""
    length = int(rule.number)
    if not failing_run(pairing, year=evaluation.year, quarter=evaluation.quarter, length=length):
        return ""
    effect = record_pairing_effect(
        pairing,
        rule="helper_not_excellent",
        kind=EffectKind.NOT_EXCELLENT,
        text=rule.text,
        year=evaluation.year,
        person=pairing.helper_name,
        account=pairing.helper,
        source=(
            f"结对帮扶{pairing.organization.name}：截至{evaluation.year}年第"
            f"{evaluation.quarter}季度连续{length}次季度评估不达标"
        ),
        by=by,
    )
    return f"{effect.year}年度{effect.label}"


def _acceptance_effects(pairing: Pairing, *, by: User) -> str:
    """乙方支部若验收合格，优先申报“标准化示范支部”，支部书记年度考核加5分: the bonus on
    the secretary and the 优先申报 flag on the branch, for the year the term ends."""
    rule = plaque.mechanism_settings().acceptance
    if rule is None:
        return ""
    org, year = pairing.organization, pairing.end.year
    account = secretary_account(org)
    person = (account.name if account and account.name else org.secretary_name) or "支部书记"
    source = f"{pairing.helper_name}结对帮扶{org.name}期末验收合格"
    done = []
    if rule.number is not None:
        bonus = record_pairing_effect(
            pairing,
            rule="acceptance_bonus",
            kind=EffectKind.BONUS,
            text=rule.text,
            year=year,
            person=person,
            account=account,
            points=rule.number,
            source=source,
            by=by,
        )
        done.append(bonus.label)
    if rule.extra:
        priority = record_pairing_effect(
            pairing,
            rule="acceptance_priority",
            kind=EffectKind.PRIORITY,
            text=rule.extra,
            year=year,
            person="",
            account=None,
            source=source,
            by=by,
        )
        done.append(priority.label)
    return f"{year}年度" + "、".join(done) if done else ""


def evaluate_pairing(
    pairing: Pairing, *, by: User, year: int, quarter: int, score: Decimal, note: str
) -> Evaluation:
    """The department's quarterly score against the agreement. The band comes from the 亮牌
    rubric's 帮扶成效 scale (达标 ≥ 80, 待改进 60–79, 重新制定帮扶方案 < 60): below 达标 a
    约谈 of the secretary is recorded; in the lowest band a new plan opens; a run of
    failing quarters bars the helper from “优秀” in that year's annual review."""
    rules = plaque.plaque_rules()
    band = plaque.rate("pairing", score, rules)
    with transaction.atomic(), acting(by):
        pairing = _locked(pairing)
        if pairing.status not in (PairingStatus.ACTIVE, PairingStatus.EXTENDED):
            raise AssessmentError("只有生效中的结对可以评估帮扶成效。")
        if refusal := term_refusal(pairing, year, quarter):
            raise AssessmentError(refusal)
        if Evaluation.objects.filter(pairing=pairing, year=year, quarter=quarter).exists():
            raise AssessmentError(f"{year}年第{quarter}季度已评估过。")
        evaluation = Evaluation.objects.create(
            pairing=pairing,
            year=year,
            quarter=quarter,
            score=score,
            band=band.label,
            note=note,
            evaluated_by=by,
        )
        what = f"{year}年第{quarter}季度帮扶成效 {score.normalize():f} 分：{band.label}"
        if not band.passed:
            Interview.objects.create(
                organization=pairing.organization,
                secretary_name=pairing.organization.secretary_name or "支部书记",
                reason=f"{what}，未达标，约谈支部书记",
                evaluation=evaluation,
                recorded_by=by,
            )
            announce(NoticeKind.INTERVIEW)  # the secretary is told of the 约谈
        if plaque.is_lowest("pairing", band, rules):
            number = _current_plan(pairing).number + 1
            Plan.objects.create(
                pairing=pairing,
                number=number,
                kind=PlanKind.REPLAN,
                reason=what,
                evaluation=evaluation,
            )
        if not band.passed and (barred := _helper_effect(pairing, evaluation, by=by)):
            what += f"；{barred}"
        _event(pairing, by=by, action="季度评估", before=pairing.status, note=what)
    return evaluation


def passed_bands() -> set[str]:
    """The 帮扶成效 bands that count as 达标 (a branch may then apply for
    标准化提升示范党支部)."""
    try:
        return {b.label for b in plaque.plaque_rules().scales.get("pairing", ()) if b.passed}
    except AssessmentError:
        return set()


def record_interview(interview: Interview, *, by: User, held_on: date, record: str) -> Interview:
    with transaction.atomic(), acting(by):
        interview = Interview.objects.select_for_update().get(pk=interview.pk)
        interview.held_on, interview.record = held_on, record
        interview.save(update_fields=["held_on", "record"])
    return interview


def accept_pairing(pairing: Pairing, *, by: User, met: bool, note: str) -> Pairing:
    """期末验收: all core targets met → 帮扶合格; otherwise the period is extended one month
    with a 加急整改方案; still not met after the extension → a 约谈 of the secretary."""
    with transaction.atomic(), acting(by):
        pairing = _locked(pairing)
        before = pairing.status
        if before not in (PairingStatus.ACTIVE, PairingStatus.EXTENDED):
            raise AssessmentError("只有生效中的结对可以验收。")
        pairing.acceptance_note = note
        if met:
            pairing.status = PairingStatus.PASSED
            if recorded := _acceptance_effects(pairing, by=by):
                note = f"{note}（{recorded}）"
        elif before == PairingStatus.ACTIVE:
            pairing.status = PairingStatus.EXTENDED
            pairing.end = add_months(pairing.end, 1)
            Plan.objects.create(
                pairing=pairing,
                number=_current_plan(pairing).number + 1,
                kind=PlanKind.URGENT,
                reason="期末验收未实现全部核心目标，责任期延长 1 个月",
            )
        else:
            pairing.status = PairingStatus.FAILED
            Interview.objects.create(
                organization=pairing.organization,
                secretary_name=pairing.organization.secretary_name or "支部书记",
                reason="延长责任期后仍未达标，约谈支部书记，限期整改",
                recorded_by=by,
            )
            announce(NoticeKind.INTERVIEW)
        pairing.save()
        _event(pairing, by=by, action="期末验收", before=before, note=note)
    return pairing
