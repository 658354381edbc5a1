"""The quarterly 亮牌 board: per branch, the quarter's consolidated 亮牌 result (score,
plate and consequences as the 亮牌 campaign's consolidation stored them, read by the same
results ledger as the results page, the ledger export and the PDFs), with each instrument's
input and where it came from. The board never grades on its own: a quarter with inputs but
no consolidated result says so, and a result whose inputs changed since (a late 帮扶成效
evaluation or 互查) keeps its plate and says it needs 重新汇总."""

from dataclasses import dataclass, field
from decimal import Decimal

from branches import access as branch_access
from branches.access import Perm
from branches.models import Organization, OrgKind, User
from branches.toolkit.periods import previous_period
from rubrics import scoring

from ...models import BranchResult, Campaign, PlaqueExtension
from .. import access
from ..rules import mechanism_settings, plaque_rules
from ..selectors import (
    campaign_inputs,
    input_changes,
    latest_extensions,
    mechanism_inputs,
    quarter_campaigns,
    quarter_results,
    stored_inputs,
)

STALE = "stale"  # consolidated from other inputs than stand now: 需重新汇总
PENDING = "pending"  # inputs but no consolidated result yet: 尚未汇总


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
    state: str = ""
    campaign: Campaign | None = None
    # A stale plate's inputs that stand now where they differ from the consolidated ones.
    standing: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    result: BranchResult | None = None
    # The latest 延长争先期限 of the quarter's result (its end date and why).
    extension: PlaqueExtension | None = None
    can_extend: bool = False  # a 争先 plate the user may extend

    @property
    def stale(self) -> bool:
        return self.state == STALE

    @property
    def pending(self) -> bool:
        return self.state == PENDING


def _branches(user: User) -> list[Organization]:
    return list(
        Organization.objects.filter(
            branch_access.scope_q(user, Perm.VIEW_RESULTS, "path")
            | access.secretary_q(user, "path"),
            kind__in=[OrgKind.BRANCH, OrgKind.GENERAL_BRANCH],
        ).order_by("path")
    )


def _waiting_inputs(org_ids: list[int], year: int, quarter: int, codes: list[str]) -> dict:
    """Inputs of branches with no consolidated result: the quarter's campaigns' (sheets and
    mechanisms, by the consolidation's own rule), else the mechanisms' alone."""
    found: dict[int, dict] = {}
    for campaign in quarter_campaigns(year, quarter):
        for org_id, values in campaign_inputs(campaign, codes).items():
            if org_id in org_ids:
                found.setdefault(org_id, values)
    rest = [o for o in org_ids if o not in found]
    for org_id, values in mechanism_inputs(rest, year, quarter, codes).items():
        found[org_id] = values
    return found


def _stale(results: dict[int, BranchResult], codes: list[str]) -> dict[int, dict]:
    """organization id → the inputs standing now, for each result that needs 重新汇总."""
    out: dict[int, dict] = {}
    for campaign in {r.campaign for r in results.values()}:
        changes = input_changes(campaign, codes)
        for org_id in changes.changed:
            if org_id in results and results[org_id].campaign == campaign:
                out[org_id] = changes.current.get(org_id, {})
    return out


def board(user: User, *, year: int, quarter: int, history: int = 4) -> tuple[list, list[Plate]]:
    """(the instruments, one plate per branch in the user's scope with anything this
    quarter or in the quarters before)."""
    rules = plaque_rules()
    inputs = [i for i in rules.items() if i.kind == scoring.INPUT]
    codes = [i.code for i in inputs]
    orgs = _branches(user)
    ids = [o.pk for o in orgs]
    now = quarter_results(ids, year, quarter)
    waiting = _waiting_inputs([o for o in ids if o not in now], year, quarter, codes)
    stale = _stale(now, codes)
    extensions = latest_extensions(r.pk for r in now.values())
    extension_grade = mechanism_settings().extension_grade
    periods = []
    y, q = year, quarter
    for _ in range(history):
        y, q = previous_period(y, q)
        periods.append((y, q, quarter_results(ids, y, q)))
    plates = []
    for org in orgs:
        result = now.get(org.pk)
        past = [(py, pq, found.get(org.pk)) for py, pq, found in periods]
        if result is None and not waiting.get(org.pk) and not any(r for *_, r in past):
            continue
        plate = Plate(org=org)
        plate.history = [
            (py, pq, r.grade if r else "", r.total if r else None) for py, pq, r in past
        ]
        plate.previous = plate.history[0][2] if plate.history else ""
        if result is None:
            found = waiting.get(org.pk, {})
            plate.values = {c: (v.score, v.source) for c, v in found.items()}
            plate.state = PENDING if found else ""
        else:
            plate.values = {c: (v.score, v.source) for c, v in stored_inputs(result).items()}
            plate.total, plate.grade = result.total, result.grade
            plate.reason, plate.campaign = result.source_note, result.campaign
            plate.consequences = [c.text for c in result.consequences.all()]
            plate.result, plate.extension = result, extensions.get(result.pk)
            plate.can_extend = (
                bool(extension_grade)
                and result.grade == extension_grade
                and branch_access.has_perm(user, Perm.MANAGE_CAMPAIGNS, org)
            )
            if org.pk in stale:
                plate.state = STALE
                plate.standing = {
                    c: (v.score, v.source)
                    for c, v in stale[org.pk].items()
                    if plate.values.get(c) != (v.score, v.source)
                }
        plates.append(plate)
    return inputs, plates


def visible_to(user: User) -> bool:
    return branch_access.has_perm(user, Perm.VIEW_RESULTS) or bool(
        Organization.objects.filter(access.secretary_q(user, "path")).exists()
    )
