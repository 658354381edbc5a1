"""Reads of the quarterly 亮牌: each instrument's input for a branch and quarter, and where
it comes from.

One rule, read by the consolidation (assessments/services/results.py) and by the board:
the 互查 and 帮扶成效 instruments come from the mechanism that produces them when it has
a value that quarter (the submitted 互查评分表; the pairing's quarterly 帮扶成效
evaluation), and from the signed sheets of the 亮牌 campaign otherwise; the
星级党支部考核 always comes from the sheets. The board itself never grades: it shows the
consolidated result (``quarter_results``), the one the results page, the ledger export and
the PDFs read."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Prefetch, Q, QuerySet

from branches import access as branch_access
from branches.access import Perm
from branches.models import Member, Organization, OrgKind, User
from rubrics import scoring
from rubrics.models import Method
from rubrics.selectors import rules_for, version_tree

from ...models import (
    BranchResult,
    Campaign,
    Claim,
    ConsequenceEffect,
    DutyScore,
    Evaluation,
    Inspection,
    InspectionStatus,
    Interview,
    Pairing,
    PlaqueExtension,
    Post,
    RectificationItem,
    ScoreSheet,
)
from ...selectors import results_ledger
from .. import access as mechanism_access
from ..rules import PLAQUE_RUBRIC

HAND = "考评表（人工录入）"
# The instruments a mechanism produces, and how the source is named on pages and notes.
MECHANISMS = {"inspection": "互查评分表", "pairing": "结对帮扶成效评估"}
PLACES = Decimal("0.001")


@dataclass(frozen=True)
class Input:
    """One instrument's score for one branch and quarter, and where it came from."""

    score: Decimal
    source: str
    count: int = 1  # how many scores were averaged

    def stored(self) -> dict:
        """How a result keeps it (``BranchResult.inputs``)."""
        return {"score": f"{self.score:f}", "source": self.source, "count": self.count}

    @classmethod
    def from_stored(cls, data: dict) -> "Input":
        return cls(Decimal(data["score"]), data["source"], data.get("count", 1))


def _exact(value) -> Decimal:
    # Avg may come back as float or with many places: keep exact decimals.
    return Decimal(str(value)).quantize(PLACES).normalize()


def sheet_inputs(sheets, codes: Iterable[str]) -> dict[int, dict[str, Input]]:
    """organization id → instrument code → the average of its signed sheets' totals."""
    out: dict[int, dict[str, Input]] = {}
    rows = (
        sheets.filter(stage__instrument__in=list(codes), total__isnull=False)
        .order_by()
        .values("organization_id", "stage__instrument")
        .annotate(score=Avg("total"), n=Count("id"))
    )
    for row in rows:
        out.setdefault(row["organization_id"], {})[row["stage__instrument"]] = Input(
            _exact(row["score"]), HAND, row["n"]
        )
    return out


def mechanism_inputs(
    org_ids: Iterable[int], year: int, quarter: int, codes: Iterable[str]
) -> dict[int, dict[str, Input]]:
    """organization id → instrument code → the mechanism's value for the quarter (the
    average when a branch had several submitted inspections)."""
    org_ids, codes = list(org_ids), set(codes)
    out: dict[int, dict[str, Input]] = {}
    if "inspection" in codes:
        for row in (
            Inspection.objects.filter(
                organization_id__in=org_ids, year=year, quarter=quarter, total__isnull=False
            )
            .exclude(status=InspectionStatus.SCHEDULED)
            .order_by()
            .values("organization_id")
            .annotate(score=Avg("total"), n=Count("id"))
        ):
            out.setdefault(row["organization_id"], {})["inspection"] = Input(
                _exact(row["score"]), MECHANISMS["inspection"], row["n"]
            )
    if "pairing" in codes:
        for evaluated in (
            Evaluation.objects.filter(
                pairing__organization_id__in=org_ids, year=year, quarter=quarter
            )
            .order_by()
            .values("pairing__organization_id")
            .annotate(score=Avg("score"), n=Count("id"))
        ):
            out.setdefault(evaluated["pairing__organization_id"], {})["pairing"] = Input(
                _exact(evaluated["score"]), MECHANISMS["pairing"], evaluated["n"]
            )
    return out


def _mechanism_quarter(campaign: Campaign) -> int | None:
    """The quarter whose mechanisms' values the campaign reads (a quarter's 亮牌 campaign),
    or None."""
    if campaign.quarter is None or campaign.rubric_version.rubric.code != PLAQUE_RUBRIC:
        return None
    return campaign.quarter


def campaign_inputs(campaign: Campaign, codes: Iterable[str]) -> dict[int, dict[str, Input]]:
    """Every branch with a signed instrument sheet in a composite campaign → its inputs:
    a mechanism's value where one stands that quarter, the signed sheets otherwise."""
    codes = list(codes)
    out = sheet_inputs(ScoreSheet.objects.signed_reviews(campaign), codes)
    if out and (quarter := _mechanism_quarter(campaign)) is not None:
        found = mechanism_inputs(out, campaign.year, quarter, codes)
        for org_id, values in found.items():
            out[org_id].update(values)
    return out


def stored_inputs(result: BranchResult) -> dict[str, Input]:
    return {code: Input.from_stored(v) for code, v in (result.inputs or {}).items()}


def _same(current: dict[str, Input], stored: dict[str, Input]) -> bool:
    return {c: (i.score, i.source) for c, i in current.items()} == {
        c: (i.score, i.source) for c, i in stored.items()
    }


def instrument_codes(campaign: Campaign) -> list[str]:
    """The instruments a composite campaign's rubric weighs ([] for any other method)."""
    if campaign.rubric_version.method != Method.COMPOSITE:
        return []  # no rubric tree to read for a points or checklist campaign
    rules = rules_for(version_tree(campaign.rubric_version_id))
    if rules.method != scoring.COMPOSITE:
        return []
    return [i.code for i in rules.items() if i.kind == scoring.INPUT]


@dataclass(frozen=True)
class Changes:
    """A composite campaign's inputs standing now against those its results were
    consolidated from."""

    current: dict[int, dict[str, Input]]  # organization id → the inputs standing now
    changed: set[int]  # a result consolidated from other inputs than stand now
    waiting: set[int]  # complete inputs and no result yet


def input_changes(campaign: Campaign, codes: Iterable[str] | None = None) -> Changes:
    """What needs "重新汇总". Nothing else reads a late value: a result keeps its plate
    until then. Only a weighted composite has inputs: any other campaign has no change."""
    codes = instrument_codes(campaign) if codes is None else list(codes)
    if not codes or campaign.is_closed:  # a closed period is never consolidated again
        return Changes({}, set(), set())
    current = campaign_inputs(campaign, codes)
    stored = {
        r.organization_id: stored_inputs(r) for r in BranchResult.objects.filter(campaign=campaign)
    }
    changed = {
        org_id
        for org_id, values in stored.items()
        if not _same({c: v for c, v in current.get(org_id, {}).items() if c in codes}, values)
    }
    waiting = {
        org_id
        for org_id, values in current.items()
        if org_id not in stored and all(c in values for c in codes)
    }
    return Changes(current, changed, waiting)


def stale_results(
    campaign: Campaign, codes: Iterable[str] | None = None
) -> tuple[set[int], set[int]]:
    """(organizations whose result needs 重新汇总, organizations with complete inputs and
    no result yet)."""
    changes = input_changes(campaign, codes)
    return changes.changed, changes.waiting


def quarter_campaigns(year: int, quarter: int):
    """The quarter's 亮牌 campaigns, the latest first."""
    return (
        Campaign.objects.filter(
            rubric_version__rubric__code=PLAQUE_RUBRIC, year=year, quarter=quarter
        )
        .select_related("rubric_version__rubric", "scope")
        .order_by("-created_at", "-pk")
    )


def quarter_results(org_ids: Iterable[int], year: int, quarter: int) -> dict[int, BranchResult]:
    """organization id → its consolidated 亮牌 result for the quarter, read through the
    campaigns' results ledger (the results page's, the export's and the PDFs' reader); the
    latest campaign's when a quarter has several."""
    org_ids = set(org_ids)
    out: dict[int, BranchResult] = {}
    for campaign in quarter_campaigns(year, quarter):
        ledger = results_ledger(campaign).filter(organization_id__in=org_ids)
        for result in ledger.prefetch_related("consequences"):
            result.campaign = campaign
            out.setdefault(result.organization_id, result)
    return out


def superseded_by(sheet: ScoreSheet) -> Input | None:
    """The mechanism's value that stands in for this instrument sheet's score this quarter
    (None when the sheet's score counts): shown on the sheet, so a hand entry is never
    taken for the quarter's answer."""
    code = sheet.stage.instrument
    if code not in MECHANISMS or (quarter := _mechanism_quarter(sheet.campaign)) is None:
        return None
    found = mechanism_inputs([sheet.organization_id], sheet.campaign.year, quarter, [code])
    return found.get(sheet.organization_id, {}).get(code)


# -- annual-review effects of pairings, the 积分 ledger, extended 争先 periods -------------


def pairing_effects(pairing) -> list[ConsequenceEffect]:
    """What the pairing recorded for the annual review (甲方 不得评为优秀, the secretary's
    bonus, the branch's 优先申报), in force first, newest year first, in the order recorded:
    one query."""
    return list(
        ConsequenceEffect.objects.filter(pairing=pairing)
        .select_related("person_account", "withdrawn_by")
        .order_by("status", "-year", "created_at", "id")
    )


def person_effects(person: User, *, viewer: User) -> list[ConsequenceEffect]:
    """The annual-review effects recorded against a person (by login), as the viewer may
    read them: all for the person themselves, else those over branches whose results the
    viewer reads. Newest year first; one query."""
    effects = ConsequenceEffect.objects.filter(person_account=person)
    if viewer.pk != person.pk:
        effects = effects.filter(
            branch_access.scope_q(viewer, Perm.VIEW_RESULTS, "organization__path")
        )
    return list(
        effects.select_related("organization", "pairing", "result__campaign").order_by(
            "status", "-year", "-created_at", "-id"
        )
    )


@dataclass(frozen=True)
class PointsRow:
    member: Member
    months: tuple[Decimal | None, ...]  # 积分 of months 1–12 (None: not scored)
    total: Decimal
    scored: int


def points_ledger(org: Organization, *, year: int, per_point: Decimal) -> list[PointsRow]:
    """The branch's 党员积分 ledger for a year: each member's monthly 积分 from the month's
    履职 score (score × ``per_point``, the 亮牌 rubric's number) and the year's total. The
    members on the roster, and any who left but were scored that year. Two queries."""
    scores: dict[int, dict[int, Decimal]] = {}
    for member_id, month, score in DutyScore.objects.filter(
        member__organization=org, year=year
    ).values_list("member_id", "month", "score"):
        scores.setdefault(member_id, {})[month] = score
    members = Member.objects.filter(organization=org).filter(
        Q(left_on__isnull=True) | Q(pk__in=list(scores))
    )
    rows = []
    for member in members.order_by("party_group", "name", "pk"):
        found = scores.get(member.pk, {})
        months = tuple(
            (found[m] * per_point).quantize(Decimal("0.01")) if m in found else None
            for m in range(1, 13)
        )
        total = sum((v for v in months if v is not None), Decimal(0))
        rows.append(PointsRow(member, months, total, len(found)))
    return rows


def latest_extensions(result_ids: Iterable[int]) -> dict[int, PlaqueExtension]:
    """result id → its latest 延长争先期限 (the furthest end): one query."""
    out: dict[int, PlaqueExtension] = {}
    for extension in PlaqueExtension.objects.filter(result_id__in=list(result_ids)).order_by(
        "-until", "-pk"
    ):
        out.setdefault(extension.result_id, extension)
    return out


# -- what the mechanisms' pages list ---------------------------------------------------------


def home_branches(user: User) -> QuerySet[Organization]:
    """The branches on the mechanisms' front page: those whose results the user reads, their
    own as secretary, and those they help."""
    return Organization.objects.filter(
        branch_access.scope_q(user, Perm.VIEW_RESULTS, "path")
        | mechanism_access.secretary_q(user, "path")
        | Q(pk__in=Pairing.objects.filter(helper=user).values("organization_id")),
        kind=OrgKind.BRANCH,
    ).order_by("path")


def helper_choices() -> QuerySet[User]:
    """Who may be named a pair's helper (甲方): every active person's account."""
    return User.objects.filter(is_active=True, is_superuser=False).order_by("username")


def pairing_records(pairing: Pairing) -> dict:
    """A pair's plans with their actions, its weaknesses outside any plan, and the 约谈 of
    its branch, for the pair's page."""
    return {
        "plans": pairing.plans.prefetch_related(
            Prefetch("items", queryset=RectificationItem.objects.select_related("closed_by"))
        ),
        "weaknesses": RectificationItem.objects.filter(
            pairing=pairing, plan__isnull=True
        ).select_related("closed_by"),
        "interviews": Interview.objects.filter(organization=pairing.organization).select_related(
            "evaluation"
        ),
    }


def inspector_choices(branches: QuerySet[Organization]) -> QuerySet[Member]:
    """Members of these branches with an account: who may be sent to inspect."""
    return (
        Member.objects.active()
        .filter(user__isnull=False, organization__in=branches)
        .select_related("organization", "user")
        .order_by("organization__tree_key", "name")
    )


def active_members(org: Organization) -> QuerySet[Member]:
    return Member.objects.filter(organization=org).active()


def quarter_posts(org: Organization, year: int, quarter: int) -> QuerySet[Post]:
    return Post.objects.filter(organization=org, year=year, quarter=quarter)


def post_claims(posts: QuerySet[Post]) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(post__in=posts)
        .select_related("member", "post", "reviewed_by")
        .prefetch_related("checks")
        .order_by("post__kind", "post__pk", "member__name")
    )


def claim_or_none(pk: int) -> Claim | None:
    return Claim.objects.select_related("post__organization", "member").filter(pk=pk).first()


def month_duty_scores(org: Organization, year: int, month: int) -> dict[int, DutyScore]:
    """Each member's 履职 score of the month, by member id."""
    return {
        s.member_id: s
        for s in DutyScore.objects.filter(member__organization=org, year=year, month=month)
    }
