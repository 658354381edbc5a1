"""The quarterly 亮牌 board: per branch, 星级党支部考核 40% + 互查 30% + 帮扶成效 30%
combined by the 亮牌 rubric itself (its weights, bands 示范/达标/争先 and consequence rules;
the same engine call as the campaigns' consolidation, assessments/services/results.py).

Each instrument is taken from the feature that produces it when it exists this quarter (the
submitted 互查评分表; the pairing's quarterly 帮扶成效 score) and otherwise from the signed
score sheets of the quarter's 亮牌 campaign (entered by hand), which is also where the
星级党支部考核 comes from."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg

from branches import access as branch_access
from branches.access import Perm
from branches.models import Organization, OrgKind, User
from rubrics import scoring

from ..models import Evaluation, Inspection, ScoreSheet, SheetStatus
from ..services.results import consequence_rules, consequences_for, previous_period
from . import access
from .rules import PLAQUE_RUBRIC, plaque_rules, plaque_version

SOURCES = {"inspection": "互查评分表", "pairing": "结对帮扶成效评估"}


@dataclass
class Plate:
    org: Organization
    values: dict[str, tuple[Decimal, str]] = field(default_factory=dict)  # code → (score, source)
    total: Decimal | None = None
    grade: str = ""
    reason: str = ""
    previous: str = ""
    consequences: list[str] = field(default_factory=list)
    history: list[tuple[int, int, str, Decimal | None]] = field(default_factory=list)


def _branches(user: User) -> list[Organization]:
    return list(
        Organization.objects.filter(
            branch_access.scope_q(user, Perm.VIEW_RESULTS, "path")
            | access.secretary_q(user, "path"),
            kind__in=[OrgKind.BRANCH, OrgKind.GENERAL_BRANCH],
        ).order_by("path")
    )


def _instruments(org_ids: list[int], year: int, quarter: int, codes: list[str]) -> dict:
    """(org id, code) → (score, source) for the quarter: features first, sheets otherwise."""
    found: dict[tuple[int, str], tuple[Decimal, str]] = {}
    sheets = (
        ScoreSheet.objects.reviews()
        .filter(
            organization_id__in=org_ids,
            status=SheetStatus.SIGNED,
            campaign__year=year,
            campaign__quarter=quarter,
            rubric_version__rubric__code=PLAQUE_RUBRIC,
            stage__instrument__in=codes,
        )
        .values("organization_id", "stage__instrument")
        .annotate(score=Avg("total"))
    )
    for row in sheets:
        score = Decimal(str(row["score"])).quantize(Decimal("0.01")).normalize()
        found[(row["organization_id"], row["stage__instrument"])] = (score, "考评表（人工录入）")
    if "inspection" in codes:
        inspections = (
            Inspection.objects.filter(
                organization_id__in=org_ids, year=year, quarter=quarter, total__isnull=False
            )
            .values("organization_id")
            .annotate(score=Avg("total"))
        )
        for row in inspections:
            score = Decimal(str(row["score"])).quantize(Decimal("0.01")).normalize()
            found[(row["organization_id"], "inspection")] = (score, SOURCES["inspection"])
    if "pairing" in codes:
        evaluations = (
            Evaluation.objects.filter(
                pairing__organization_id__in=org_ids, year=year, quarter=quarter
            )
            .values("pairing__organization_id")
            .annotate(score=Avg("score"))
        )
        for row in evaluations:
            score = Decimal(str(row["score"])).quantize(Decimal("0.01")).normalize()
            found[(row["pairing__organization_id"], "pairing")] = (score, SOURCES["pairing"])
    return found


def _grades(orgs, year, quarter, rules, inputs) -> dict[int, tuple[Decimal | None, str, str, dict]]:
    codes = [i.code for i in inputs]
    found = _instruments([o.pk for o in orgs], year, quarter, codes)
    out = {}
    for org in orgs:
        values = {c: found[(org.pk, c)] for c in codes if (org.pk, c) in found}
        if len(values) < len(codes):
            out[org.pk] = (None, "", "", values)
            continue
        result = scoring.score(rules, scoring.Entry({c: v for c, (v, _) in values.items()}))
        out[org.pk] = (result.total, result.grade or "", result.reasons[0], values)
    return out


def board(user: User, *, year: int, quarter: int, history: int = 4) -> tuple[list, list[Plate]]:
    """(the instruments, one plate per branch in the user's scope with anything this quarter)."""
    version = plaque_version()
    rules = plaque_rules()
    conseq = consequence_rules(version.consequence_rules)
    inputs = [i for i in rules.items() if i.kind == scoring.INPUT]
    orgs = _branches(user)
    now = _grades(orgs, year, quarter, rules, inputs)
    periods, y, q = [], year, quarter
    for _ in range(history):
        y, q = previous_period(y, q)
        periods.append((y, q, _grades(orgs, y, q, rules, inputs)))
    plates = []
    for org in orgs:
        total, grade, reason, values = now[org.pk]
        if not values and not any(g[org.pk][3] for *_, g in periods):
            continue
        plate = Plate(org=org, values=values, total=total, grade=grade, reason=reason)
        plate.history = [(py, pq, g[org.pk][1], g[org.pk][0]) for py, pq, g in periods]
        plate.previous = periods[0][2][org.pk][1] if periods else ""
        if grade:
            plate.consequences = [
                r.text
                for r in consequences_for(
                    PLAQUE_RUBRIC, grade, plate.previous or None, rules=conseq
                )
            ]
        plates.append(plate)
    return inputs, plates


def visible_to(user: User) -> bool:
    return branch_access.has_perm(user, Perm.VIEW_RESULTS) or bool(
        Organization.objects.filter(access.secretary_q(user, "path")).exists()
    )
