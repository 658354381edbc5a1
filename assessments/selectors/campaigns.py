"""A campaign's objects and what its rubric's method reports over them (summary, trend);
who fills and who reviews."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from branches.models import ADMIN_ROLES, SECRETARY_KINDS, Membership, Organization, Role, User
from rubrics import scoring
from rubrics.models import Method
from rubrics.selectors import structure as version_structure

from ..access import (
    visible_campaigns,
)
from ..models import (
    Assessor,
    BranchResult,
    Campaign,
    CampaignObject,
    ConsequenceEffect,
    EffectKind,
    EffectStatus,
    ItemFact,
    RectificationItem,
    RectificationStatus,
    ScoreSheet,
    SheetStatus,
    Stage,
)
from ..models.results import overdue_q, unsettled_q

# -- a campaign's objects, and what its rubric's method reports over them ------------------


def in_scope(campaign: Campaign) -> QuerySet[Organization]:
    """The organizations below a campaign's scope of the kinds it assesses (the assessing
    党委 does not assess itself): what opening the campaign fixes as its objects."""
    return (
        Organization.objects.filter(path__subtree=campaign.scope.path, kind__in=campaign.kinds)
        .exclude(pk=campaign.scope_id)
        .order_by("path")
    )


def _fixed(campaign: Campaign) -> bool:
    """Whether the campaign's objects are stored (it has opened): read from the database,
    not from a possibly stale object's status, and remembered once true (stored objects
    are never removed)."""
    if not getattr(campaign, "_objects_fixed", False):
        campaign._objects_fixed = CampaignObject.objects.filter(campaign_id=campaign.pk).exists()
    return campaign._objects_fixed


def campaign_objects(campaign: Campaign) -> QuerySet[Organization]:
    """The organizations a campaign assesses: those fixed when it opened (an organization
    created, moved or imported later is assessed in the next campaign, never this one);
    while it is 筹备中, those opening it now would fix. Sheets, draws, counts, rates and
    exports of a campaign all read this one set."""
    if not _fixed(campaign):
        return in_scope(campaign)
    return Organization.objects.filter(
        pk__in=CampaignObject.objects.filter(campaign=campaign).values("organization_id")
    ).order_by("path")


OBJECTS_PAGE_SIZE = 100  # a campaign's objects listed on its page at a time


def _objects(campaign: Campaign):
    """The campaign's objects by code, and how a row becomes (organization, the enterprise
    it belonged to when the campaign opened); while it is 筹备中: the objects opening would
    fix, with their enterprise now."""
    if not _fixed(campaign):
        orgs = in_scope(campaign).select_related("enterprise", "parent").order_by("code", "pk")
        return orgs, lambda o: (o, o.enterprise)
    rows = (
        CampaignObject.objects.filter(campaign=campaign)
        .select_related("organization__parent", "enterprise")
        .order_by("organization__code", "pk")
    )
    return rows, lambda row: (row.organization, row.enterprise)


def object_list(campaign: Campaign) -> list[tuple[Organization, Organization | None]]:
    """Every object of the campaign as (organization, enterprise at opening), by code."""
    rows, pair = _objects(campaign)
    return [pair(row) for row in rows]


def object_page(campaign: Campaign, number) -> Page:
    """One page of ``object_list``; the page's count is every object."""
    rows, pair = _objects(campaign)
    page = Paginator(rows, OBJECTS_PAGE_SIZE).get_page(number)
    page.object_list = [pair(row) for row in page.object_list]
    return page


def _objects_by_enterprise(campaign: Campaign) -> dict[int | None, int]:
    """The campaign's objects per enterprise (the one they belonged to when it opened)."""
    if not _fixed(campaign):
        orgs = in_scope(campaign).order_by().values("enterprise_id").annotate(n=Count("id"))
        return {r["enterprise_id"]: r["n"] for r in orgs}
    rows = (
        CampaignObject.objects.filter(campaign=campaign)
        .order_by()
        .values("enterprise_id")
        .annotate(n=Count("id"))
    )
    return {r["enterprise_id"]: r["n"] for r in rows}


def _object_enterprise(campaign: Campaign, organization: str) -> Subquery:
    """The enterprise the outer row's ``organization`` belonged to when ``campaign``
    opened (NULL for an organization that is none of its objects)."""
    return Subquery(
        CampaignObject.objects.filter(
            campaign=campaign, organization_id=OuterRef(organization)
        ).values("enterprise_id")[:1]
    )


def _object_results(campaign: Campaign) -> QuerySet:
    """The campaign's results of its objects, each with the enterprise the object belonged
    to when the campaign opened (``ent``)."""
    # One inner join on the object row (unique per campaign and organization), not an
    # EXISTS and a subquery per result: the summary reads every result of the campaign.
    return (
        BranchResult.objects.filter(campaign=campaign)
        .annotate(
            object_then=FilteredRelation(
                "campaign__assessed",
                condition=Q(campaign__assessed__organization_id=F("organization_id")),
            )
        )
        .filter(object_then__isnull=False)
        .annotate(ent=F("object_then__enterprise_id"))
    )


@dataclass
class _Tally:
    """One group's results (the whole campaign, or one enterprise) as its method reads
    them."""

    objects: int = 0
    results: int = 0
    points: Decimal = Decimal(0)
    max_points: Decimal = Decimal(0)
    grades: Counter = field(default_factory=Counter)  # results per grade
    # A checklist's execution points judged, per (item code, points).
    judged: Counter = field(default_factory=Counter)
    # Results passed, with an inflated self-assessment, with a standing veto.
    flags: Counter = field(default_factory=Counter)

    def add(self, other: "_Tally") -> None:
        self.objects += other.objects
        self.results += other.results
        self.points += other.points
        self.max_points += other.max_points
        self.grades.update(other.grades)
        self.judged.update(other.judged)
        self.flags.update(other.flags)


@dataclass(frozen=True)
class _Method:
    """A campaign's rubric as its figures read it, worked out once per summary: a
    checklist's rules (levels), or a banded rubric's grades, top first."""

    checklist: bool
    rules: scoring.Rules | None
    bands: tuple[scoring.Band, ...]

    @property
    def passing(self) -> list[str]:
        return [b.label for b in self.bands if b.passed]


def _method(campaign: Campaign) -> _Method:
    if campaign.rubric_version.method == Method.CHECKLIST:
        return _Method(True, version_structure(campaign.rubric_version).rules, ())
    bands = tuple(
        scoring.Band(b.label, b.minimum, b.passed)
        for b in campaign.rubric_version.bands.all()
        if not b.scale
    )
    return _Method(False, None, bands)


def _measures(method: _Method, tally: _Tally) -> dict:
    """What a campaign's method reports over one group: its rates (each labeled by what it
    counts; the last is the headline) and its counts (results per grade, top first, for a
    banded rubric; execution points per level for a checklist) — the one place each
    method's figures are put together, for the page, the home page, the Excel, the PDF and
    the charts (the arithmetic is ``rubrics.scoring``'s)."""
    if method.checklist and method.rules is not None:  # a checklist has its rules
        measures = [scoring.checklist_measure(tally.points, tally.max_points)]
        counts = scoring.level_counts(method.rules, tally.judged)
    else:
        measures = scoring.band_measures(method.bands, tally.grades, tally.objects)
        labels = [b.label for b in method.bands]
        counts = [(label, tally.grades.get(label, 0)) for label in labels]
        # A grade no band names (none is expected): still counted, never unlabeled.
        counts += [
            (grade or "未定等次", n) for grade, n in tally.grades.items() if grade not in labels
        ]
    if not tally.results:  # nothing consolidated yet: no rate, not 0%
        measures = [replace(m, rate=None) for m in measures]
    return {
        "measures": measures,
        "rate": measures[-1].rate if measures else None,
        "counts": counts,
    }


def _names(method: _Method) -> dict:
    """How a method names its figures: the headline rate, its counts and their unit."""
    if method.checklist:
        return {"headline": "要点达标率", "counts": "要点评定分布", "unit": "项"}
    return {
        "headline": "+".join(method.passing) + "率" if method.passing else "达标率",
        "counts": "等次分布",
        "unit": "个",
    }


def _tallies(campaign: Campaign, method: _Method) -> dict[int | None, _Tally]:
    """Per enterprise (as it was when the campaign opened): objects, results, points,
    results per grade and, for a checklist, execution points per level (three queries)."""
    tallies: dict[int | None, _Tally] = defaultdict(_Tally)
    for enterprise, n in _objects_by_enterprise(campaign).items():
        tallies[enterprise].objects = n
    results = _object_results(campaign)
    for row in (
        results.order_by()
        .values("ent", "grade")
        .annotate(
            n=Count("id"),
            points=Sum("total"),
            top=Sum("max_total"),
            passed=Count("id", filter=Q(passed=True)),
            inflated=Count("id", filter=Q(inflated_self=True)),
            vetoed=Count("id", filter=~Q(vetoes=[])),
        )
    ):
        tally = tallies[row["ent"]]
        tally.results += row["n"]
        tally.points += row["points"] or 0
        tally.max_points += row["top"] or 0
        tally.grades[row["grade"]] += row["n"]
        tally.flags.update({flag: row[flag] for flag in ("passed", "inflated", "vetoed")})
    if method.checklist:
        facts = (
            ItemFact.objects.filter(
                sheet_id__in=results.values("source_sheet_id"), veto=False, got__isnull=False
            )
            .annotate(ent=_object_enterprise(campaign, "sheet__organization_id"))
            .order_by()
            .values("ent", "code", "got")
            .annotate(n=Count("id"))
        )
        for row in facts:
            tallies[row["ent"]].judged[(row["code"], row["got"])] += row["n"]
    return tallies


def _by_enterprise(method: _Method, tallies: dict[int | None, _Tally]) -> list[dict]:
    names: dict[int | None, str] = dict(
        Organization.objects.filter(pk__in=[e for e in tallies if e]).values_list("pk", "name")
    )
    rows = [
        {
            "organization__enterprise__name": names.get(enterprise),
            "n": tally.results,
            "scope": tally.objects,
            **_measures(method, tally),
        }
        for enterprise, tally in tallies.items()
    ]
    return sorted(rows, key=lambda r: r["organization__enterprise__name"] or "")


def _reviews_still_open(campaign: Campaign) -> bool:
    """A review sheet is still open, or a review stage is still to come (not yet assigned
    or drawn, its deadline not passed)."""
    return (
        ScoreSheet.objects.filter(campaign=campaign)
        .reviews()
        .exclude(status=SheetStatus.SIGNED)
        .exists()
    ) or (
        campaign.stages.exclude(assessed_by__in=[Assessor.BRANCH, Assessor.NONE])
        .filter(sheets__isnull=True, deadline__gte=timezone.localdate())
        .exists()
    )


def _rectification_counts(campaign: Campaign) -> dict[str, int]:

    # One pass over the items, four counts.
    return RectificationItem.objects.filter(campaign=campaign).aggregate(
        rectifications=Count("id", filter=~Q(status=RectificationStatus.WITHDRAWN)),
        open=Count("id", filter=unsettled_q()),
        overdue=Count("id", filter=overdue_q()),
        closed=Count("id", filter=Q(status=RectificationStatus.CLOSED)),
    )


def campaign_summary(campaign: Campaign) -> dict:
    """The consolidation stage's numbers over the campaign's objects (fixed when it
    opened): its method's rates and counts, overall and by enterprise, flags and
    rectification."""
    results = _object_results(campaign)
    method = _method(campaign)
    tallies = _tallies(campaign, method)
    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    flags = total.flags
    measured = _measures(method, total)
    missing = total.objects - total.results
    # A closed campaign is final; while it runs, its results are provisional until every
    # object has one and no review is open or still to come.
    still_open = not campaign.is_closed and _reviews_still_open(campaign)
    return {
        "results": total.results,
        "passed": flags["passed"],
        "rate": measured["rate"],
        "measures": measured["measures"],
        "distribution": [{"grade": label, "n": n} for label, n in measured["counts"]],
        "names": _names(method),
        # A checklist (河钢) has no tiers: its rate is the share of points met.
        "compliance": measured["rate"] if method.checklist else None,
        "in_scope": total.objects,
        "missing": missing,
        "provisional": not campaign.is_closed
        and bool(total.results)
        and (missing > 0 or still_open),
        "inflated": flags["inflated"],
        "vetoed": flags["vetoed"],
        "by_enterprise": _by_enterprise(method, tallies),
        **_rectification_counts(campaign),
        "weak": _weak_results(results, campaign.pk),
    }


def _weak_results(results: QuerySet, campaign_id: int) -> QuerySet:
    """The campaign's 软弱涣散、后进 ledger: results whose branch was flagged 软弱涣散 when
    the campaign opened, or that this very result put among the 后进 (an in-force
    consequence, with its 依据). Read from what the campaign stored, not the branch's flag
    or category today, so a later 过筛子, an edit or another campaign's result never
    changes a closed campaign's ledger."""
    lagging = ConsequenceEffect.objects.filter(
        result=OuterRef("pk"), kind=EffectKind.LAGGING, status=EffectStatus.IN_FORCE
    ).values("source")[:1]
    weak_then = CampaignObject.objects.filter(
        campaign_id=OuterRef("campaign_id"),
        organization_id=OuterRef("organization_id"),
        weak_and_lax=True,
    )
    # Chosen by the few objects flagged and the few effects in force (each an indexed
    # read), not by a subquery for each of the campaign's results.
    flagged = CampaignObject.objects.filter(campaign_id=campaign_id, weak_and_lax=True).values(
        "organization_id"
    )
    put_lagging = ConsequenceEffect.objects.filter(
        result__campaign_id=campaign_id,
        kind=EffectKind.LAGGING,
        status=EffectStatus.IN_FORCE,
    ).values("result_id")
    return (
        results.filter(Q(organization_id__in=flagged) | Q(pk__in=put_lagging))
        .annotate(lagging_basis=Subquery(lagging), weak_then=Exists(weak_then))
        .select_related("organization")
    )


def trend(campaign: Campaign) -> list[tuple[str, float]]:
    """The headline rate of every campaign on the same rubric in the same scope, oldest
    first, worked out as ``campaign_summary`` works out this campaign's: over each one's
    objects as fixed when it opened (1 result of 17 is not 100%)."""
    of_object = CampaignObject.objects.filter(
        campaign_id=OuterRef("campaign_id"), organization_id=OuterRef("organization_id")
    )
    rows = (
        BranchResult.objects.filter(
            rubric_code=campaign.rubric_version.rubric.code, campaign__scope=campaign.scope
        )
        .filter(Exists(of_object))
        .values("campaign_id", "year", "quarter", "grade")
        .annotate(n=Count("id"), points=Sum("total"), top=Sum("max_total"))
        .order_by("year", "quarter", "campaign_id")
    )
    objects = dict(
        CampaignObject.objects.filter(campaign__scope=campaign.scope)
        .order_by()
        .values_list("campaign_id")
        .annotate(n=Count("id"))
    )
    periods: dict[int, str] = {}
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    for r in rows:
        periods[r["campaign_id"]] = f"{r['year']}" + (f"Q{r['quarter']}" if r["quarter"] else "")
        tally = tallies[r["campaign_id"]]
        tally.objects = objects.get(r["campaign_id"], 0)
        tally.results += r["n"]
        tally.points += r["points"] or 0
        tally.max_points += r["top"] or 0
        tally.grades[r["grade"]] += r["n"]
    method = _method(campaign)
    rates = [(periods[pk], _measures(method, tallies[pk])["rate"]) for pk in periods]
    return [(label, rate) for label, rate in rates if rate is not None]


def self_assessors(org_ids) -> dict[int, User]:
    """Who fills each organization's self-assessment by default: its active 支部书记
    account (the first granted, when there are several). The one rule that opening,
    补发 and the list of objects without a sheet all follow."""
    return {
        m.organization_id: m.user
        for m in Membership.objects.filter(
            role=Role.SECRETARY, organization_id__in=org_ids, user__is_active=True
        )
        .select_related("user")
        .order_by("-id")  # later rows overwrite: the first grant wins
    }


@dataclass(frozen=True)
class SelfGap:
    """An object of a campaign without a sheet at a self-assessment stage, and why."""

    stage: Stage
    organization: Organization
    enterprise: Organization | None
    secretary: User | None  # an account granted since: 补发 issues the sheet

    @property
    def reason(self) -> str:
        if self.secretary is not None:
            return f"开始考评时没有支部书记账号；现有支部书记 {self.secretary.name}，可补发自评表"
        return "没有支部书记账号（或账号已停用）"


def self_assessment_gaps(campaign: Campaign) -> list[SelfGap]:
    """Every 党支部 and 党总支 among the objects without a self-assessment sheet, per
    self-assessment stage, with the reason (000: 自查自评覆盖所有党总支和党支部 — nothing
    is skipped silently; a 党委 has no 支部书记 and is not listed). While the campaign is
    筹备中: the objects opening it would leave without a sheet."""
    stages = [s for s in campaign.stages.all() if s.assessed_by == Assessor.BRANCH]
    if not stages:
        return []
    objects = [(o, e) for o, e in object_list(campaign) if o.kind in SECRETARY_KINDS]
    secretaries = self_assessors([o.pk for o, _ in objects])
    have = set(
        ScoreSheet.objects.filter(stage__in=stages).values_list("stage_id", "organization_id")
    )
    return [
        SelfGap(stage, org, enterprise, secretaries.get(org.pk))
        for stage in stages
        for org, enterprise in objects
        if (stage.pk, org.pk) not in have and (_fixed(campaign) or org.pk not in secretaries)
    ]


def self_filler_choices(campaign: Campaign) -> QuerySet[User]:
    """Who the department may ask to fill a self-assessment: active accounts holding a
    role inside the campaign's scope, or no role yet; never a superuser, a 系统管理员 or
    an 审计员 (三员分立)."""
    return (
        User.objects.filter(is_active=True, is_superuser=False)
        .filter(
            Q(
                pk__in=Membership.objects.filter(
                    organization__path__subtree=campaign.scope.path
                ).values("user")
            )
            | Q(memberships__isnull=True)
        )
        .exclude(pk__in=Membership.objects.filter(role__in=ADMIN_ROLES).values("user"))
        .distinct()
        .order_by("username")
    )


def reviewer_choices() -> QuerySet[User]:
    """Active reviewers, for assigning sheets and reassigning one."""
    return (
        User.objects.filter(is_active=True, memberships__role=Role.REVIEWER)
        .distinct()
        .order_by("username")
    )


def campaign_list(user: User) -> QuerySet[Campaign]:
    return visible_campaigns(user).select_related("rubric_version__rubric", "scope")


def own_sheets(campaign: Campaign, user: User) -> QuerySet[ScoreSheet]:
    """The sheets the user scores in a campaign, stage by stage (their part of it)."""
    return (
        ScoreSheet.objects.filter(campaign=campaign, assessor=user)
        .select_related("stage", "organization__parent")
        .order_by("stage__position", "organization__tree_key")
    )


def campaign_stages(campaign: Campaign) -> list[Stage]:
    return list(campaign.stages.prefetch_related("draws", "pairs__reviewer", "pairs__reviewed"))


def object_enterprises(campaign: Campaign) -> list[tuple[int, int | None]]:
    """(object id, the enterprise it belonged to when the campaign opened) for each of a
    campaign's objects: what draws group by, as the counts and lists do."""
    if not _fixed(campaign):
        return list(in_scope(campaign).values_list("pk", "enterprise_id"))
    return list(
        CampaignObject.objects.filter(campaign=campaign)
        .order_by("organization__tree_key")
        .values_list("organization_id", "enterprise_id")
    )


def target_enterprises(campaign: Campaign) -> QuerySet[Organization]:
    """The enterprises of a campaign's objects, as they were when it opened (a list
    filter)."""
    if not _fixed(campaign):
        orgs = in_scope(campaign)
        return Organization.objects.filter(pk__in=orgs.values("enterprise")).order_by("path")
    return Organization.objects.filter(pk__in=fixed_enterprise_ids(campaign)).order_by("path")


def fixed_enterprise_ids(campaign: Campaign) -> list[int]:
    """The distinct enterprises of a fixed campaign's objects, each found by one step
    along the (campaign, enterprise) index to the next (a loose index scan: as many steps
    as enterprises, not a read of every object)."""
    table = CampaignObject._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE e(id) AS (SELECT min(enterprise_id) FROM {table} "
            "WHERE campaign_id = %s UNION ALL SELECT (SELECT min(enterprise_id) "
            f"FROM {table} WHERE campaign_id = %s AND enterprise_id > e.id) "
            "FROM e WHERE e.id IS NOT NULL) SELECT id FROM e WHERE id IS NOT NULL",
            [campaign.pk, campaign.pk],
        )
        return [row[0] for row in cursor.fetchall()]
