"""Reads of campaigns and sheets: who may see what, and pages in bounded queries."""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Coalesce, JSONObject, Rank
from django.utils import timezone

from branches import access
from branches.access import Perm
from branches.models import ADMIN_ROLES, SECRETARY_KINDS, Membership, Organization, Role, User
from branches.toolkit.prepared import PreparedGet
from rubrics import scoring
from rubrics.models import Method
from rubrics.selectors import Structure, slot_texts, with_slot_texts
from rubrics.selectors import structure as version_structure

from . import sampling
from .access import (
    SHEET_JOINS,
    can_view_sheet,
    found_by_q,
    visible_campaigns,
    visible_rectifications,
)
from .models import (
    EDITABLE,
    WITH_BRANCH,
    Assessor,
    BranchResult,
    Campaign,
    CampaignObject,
    CampaignStatus,
    ConsequenceEffect,
    EffectKind,
    EffectStatus,
    Evidence,
    ItemFact,
    Meeting,
    MeetingStatus,
    ProblemSource,
    RectificationItem,
    RectificationStatus,
    ScoreSheet,
    Screening,
    SheetEntry,
    SheetEvent,
    SheetStatus,
    Stage,
    StageKind,
    VetoFinding,
    overdue_q,
)


def other_sheets(
    sheet: ScoreSheet, *, viewer: User | None = None, formal: bool = False
) -> list[ScoreSheet]:
    """The same organization's sheets in earlier stages (and the self-assessment), shown
    side by side: only those the viewer may see; in a formal report (``formal``) only the
    self-assessment and signed reviews."""
    if getattr(sheet, "has_earlier", True) is False:  # read with the sheet: none
        return []
    others = list(
        ScoreSheet.objects.filter(
            campaign_id=sheet.campaign_id,
            organization_id=sheet.organization_id,
            rubric_version_id=sheet.rubric_version_id,
            stage__position__lte=sheet.stage.position,
        )
        .exclude(pk=sheet.pk)
        .exclude(status=SheetStatus.DRAFT)
        .select_related("stage", "assessor", "organization")
        .prefetch_related(
            "entries", "vetoes", Prefetch("evidence", queryset=Evidence.objects.order_by("pk"))
        )
        .order_by("stage__position", "pk")
    )
    if formal:
        others = [
            o for o in others if o.status == SheetStatus.SIGNED or o.stage.kind == StageKind.SELF
        ]
    if (
        others
        and viewer is not None
        and not access.has_perm(viewer, Perm.VIEW_RESULTS, sheet.organization)
    ):
        others = [o for o in others if can_view_sheet(viewer, o)]
    return others


@dataclass
class Task:
    sheet: ScoreSheet
    overdue: bool
    days_left: int


def _todo(user: User) -> list[Task]:
    """Sheets to fill or fix in open campaigns, the nearest deadline first."""
    today = timezone.localdate()
    mine = (
        ScoreSheet.objects.filter(
            assessor=user, status__in=EDITABLE, campaign__status=CampaignStatus.OPEN
        )
        .select_related("stage", "organization", "campaign")
        .order_by("stage__deadline", "organization__path")
    )
    return [Task(s, s.overdue, (s.stage.deadline - today).days) for s in mine]


def _returned_reasons(todo: list[Task]) -> dict[int, str]:
    """Why each returned sheet came back (its latest return)."""
    from .models import SheetEvent

    returned = [t.sheet.pk for t in todo if t.sheet.status == SheetStatus.RETURNED]
    if not returned:
        return {}
    return {
        event.sheet_id: event.reason
        for event in SheetEvent.objects.filter(
            sheet_id__in=returned, to_status=SheetStatus.RETURNED
        ).order_by("at")
    }


def _to_sign(user: User) -> QuerySet[ScoreSheet]:
    """Submitted sheets in the department's scope, waiting for sign-off or return."""
    if not access.has_perm(user, Perm.MANAGE_CAMPAIGNS):
        return ScoreSheet.objects.none()
    return (
        ScoreSheet.objects.filter(
            access.scope_q(user, Perm.MANAGE_CAMPAIGNS, "organization__path"),
            status=SheetStatus.SUBMITTED,
        )
        .select_related("stage", "organization", "assessor")
        .order_by("submitted_at")
    )


def _rectification_tasks(user: User) -> tuple[list, list]:
    """(items my branch must fix, submitted items of branches I scored to verify)."""
    fix = (
        RectificationItem.objects.filter(
            organization__memberships__user=user,
            organization__memberships__role=Role.SECRETARY,
            status__in=WITH_BRANCH,
        )
        .select_related("organization")
        .order_by("deadline")
    )
    verify = (
        RectificationItem.objects.filter(verifier_q(user))
        .filter(status=RectificationStatus.SUBMITTED)
        .select_related("organization")
    )
    return list(fix[:20]), list(verify[:20])


def verifier_q(user: User) -> Q:
    """Items this user verifies (销号) once their branch submits them: those of branches
    they scored, problems entered by hand in the department's scope, and a mechanism's
    problems for their inspectors or the pairing's helper."""
    # Problems entered by hand belong to no campaign: the department over them verifies.
    by_hand = Q(result__isnull=True) & access.scope_q(
        user, Perm.MANAGE_CAMPAIGNS, "organization__path"
    )
    return (
        Q(pk__in=RectificationItem.objects.reviewed_by(user).values("pk"))
        | by_hand
        | Q(pk__in=RectificationItem.objects.filter(found_by_q(user)).values("pk"))
    )


def tasks_for(user: User) -> dict:
    """Home page: sheets to fill or fix, sheets waiting for my sign-off or return."""
    todo = _todo(user)
    returned_reasons = _returned_reasons(todo)
    to_sign = _to_sign(user)
    # Self-assessments submitted by branches this reviewer scores: to check or return.
    to_check = list(
        ScoreSheet.objects.filter(
            ScoreSheet.objects.reviewed_pairs(user),
            stage__kind=StageKind.SELF,
            status=SheetStatus.SUBMITTED,
        ).select_related("stage", "organization", "assessor")
    )
    fix, verify = _rectification_tasks(user)
    # Kinds of sheet this person was ever given: the home page's "下一步" hints go once met.
    kinds = set(ScoreSheet.objects.filter(assessor=user).values_list("stage__kind", flat=True))
    return {
        "has_self_sheets": StageKind.SELF in kinds,
        "has_review_sheets": bool(kinds - {StageKind.SELF}),
        "fix": fix,
        "verify": verify,
        "todo": todo,
        "returned_reasons": returned_reasons,
        "to_sign": to_sign[:20],
        "to_sign_count": to_sign.count(),
        "to_check": to_check,
    }


@dataclass
class StageProgress:
    stage: Stage
    counts: Counter
    overdue: int
    by_enterprise: list


def progress(
    campaign: Campaign, *, enterprise: int | None = None, status: str = "", q: str = ""
) -> list[StageProgress]:
    """Per stage: sheets in each state and overdue, by enterprise (aggregated in SQL)."""
    sheets = ScoreSheet.objects.filter(campaign=campaign)
    if enterprise:
        sheets = sheets.filter(organization__enterprise_id=enterprise)
    if status:
        sheets = sheets.filter(status=status)
    if q:
        sheets = sheets.filter(
            Q(organization__name__icontains=q)
            | Q(assessor__name__icontains=q)
            | Q(organization__code__icontains=q)
        )
    rows = sheets.values("stage_id", "organization__enterprise__name", "status").annotate(
        n=Count("id")
    )
    overdue_rows = sheets.overdue().values("stage_id").annotate(n=Count("id"))
    overdue = {r["stage_id"]: r["n"] for r in overdue_rows}
    by_stage: dict[int, Counter] = defaultdict(Counter)
    by_enterprise: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for r in rows:
        by_stage[r["stage_id"]][r["status"]] += r["n"]
        enterprise_name = r["organization__enterprise__name"] or "—"
        by_enterprise[r["stage_id"]][enterprise_name][r["status"]] += r["n"]
    return [
        StageProgress(
            stage,
            by_stage[stage.pk],
            overdue.get(stage.pk, 0),
            sorted(by_enterprise[stage.pk].items()),
        )
        for stage in campaign.stages.all()
    ]


def current_stage(campaign: Campaign) -> Stage | None:
    """The stage a running campaign is in: the earliest opened stage with sheets still to
    fill (late ones keep it there), else the last opened one (the first before anything
    opens)."""
    today = timezone.localdate()
    stages = [s for s in campaign.stages.all() if s.scored]
    opened = [s for s in stages if s.opens_on <= today]
    unfinished = set(
        ScoreSheet.objects.filter(campaign=campaign, status__in=EDITABLE)
        .values_list("stage_id", flat=True)
        .distinct()
    )
    for stage in opened:
        if stage.pk in unfinished:
            return stage
    return opened[-1] if opened else (stages[0] if stages else None)


@dataclass
class EnterpriseProgress:
    name: str
    total: int
    submitted: int  # submitted or signed
    signed: int
    late: int


def running_progress(stage: Stage) -> list[EnterpriseProgress]:
    """One stage's sheets by enterprise: submitted, signed and late (one query)."""
    today = timezone.localdate()
    rows = (
        ScoreSheet.objects.filter(stage=stage)
        .values("organization__enterprise__name")
        .annotate(
            total=Count("id"),
            submitted=Count("id", filter=Q(status__in=[SheetStatus.SUBMITTED, SheetStatus.SIGNED])),
            signed=Count("id", filter=Q(status=SheetStatus.SIGNED)),
            late=Count("id", filter=overdue_q(today)),
        )
        .order_by("organization__enterprise__name")
    )
    return [
        EnterpriseProgress(
            r["organization__enterprise__name"] or "—",
            r["total"],
            r["submitted"],
            r["signed"],
            r["late"],
        )
        for r in rows
    ]


# -- results, ledgers, rectification --------------------------------------------------------


def results_ledger(
    campaign: Campaign, *, enterprise: int | None = None, grade: str = "", q: str = ""
) -> QuerySet:
    """The campaign's final results, best first (the ranking)."""
    from .models import BranchResult

    qs = BranchResult.objects.filter(campaign=campaign).select_related(
        "organization__enterprise", "organization__parent"
    )
    if enterprise:  # the enterprise the object belonged to when the campaign opened
        qs = qs.filter(
            Exists(
                CampaignObject.objects.filter(
                    campaign=campaign,
                    organization_id=OuterRef("organization_id"),
                    enterprise_id=enterprise,
                )
            )
        )
    if grade:
        qs = qs.filter(grade=grade)
    if q:
        qs = qs.filter(Q(organization__name__icontains=q) | Q(organization__code__icontains=q))
    # Rank by grade tier first (a capped 99.5 基本合格 ranks below a 95.5 合格), then score.
    bands = [b.label for b in campaign.rubric_version.bands.all() if not b.scale]
    tier = Case(
        *[When(grade=label, then=Value(n)) for n, label in enumerate(bands)],
        default=Value(len(bands)),
        output_field=IntegerField(),
    )
    # The enterprise printed beside each result is the one counted for it: where the
    # object belonged when the campaign opened (a later move changes neither).
    enterprise_then = CampaignObject.objects.filter(
        campaign=campaign, organization_id=OuterRef("organization_id")
    ).values("enterprise__name")[:1]
    # Equal grade and score share a rank (1, 1, 3 …): the one rank every list prints.
    return qs.annotate(
        tier=tier,
        rank=Window(Rank(), order_by=[tier.asc(), F("total").desc()]),
        top_grade=Value(bands[0] if bands else "", output_field=CharField()),
        enterprise_name=Coalesce(Subquery(enterprise_then), F("organization__enterprise__name")),
    ).order_by("tier", "-total", "organization__code")


def vetoed_results(campaign: Campaign) -> QuerySet:
    """Results with a standing veto: what a 推翻 decision can be recorded against."""
    from .models import BranchResult

    return (
        BranchResult.objects.filter(campaign=campaign)
        .exclude(vetoes=[])
        .select_related("organization")
        .order_by("organization__path")
    )


def overturn_stages(campaign: Campaign) -> QuerySet:
    """Stages the 推翻 form offers: those after the earliest stage at which a signed review
    found any veto (the service checks the chosen finding by the same rule)."""
    from .models import VetoFinding

    signed = ScoreSheet.objects.signed_reviews(campaign)
    return VetoFinding.objects.filter(sheet__in=signed).overturnable_stages(campaign)


# -- a campaign's objects, and what its rubric's method reports over them ------------------


def in_scope(campaign: Campaign) -> QuerySet[Organization]:
    """The organizations below a campaign's scope of the kinds it assesses (the assessing
    党委 does not assess itself): what opening the campaign fixes as its objects."""
    return (
        Organization.objects.filter(path__startswith=campaign.scope.path, kind__in=campaign.kinds)
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
    of_object = CampaignObject.objects.filter(
        campaign_id=OuterRef("campaign_id"), organization_id=OuterRef("organization_id")
    )
    return (
        BranchResult.objects.filter(campaign=campaign)
        .filter(Exists(of_object))
        .annotate(ent=Subquery(of_object.values("enterprise_id")[:1]))
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

    def add(self, other: "_Tally") -> None:
        self.objects += other.objects
        self.results += other.results
        self.points += other.points
        self.max_points += other.max_points
        self.grades.update(other.grades)
        self.judged.update(other.judged)


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
        .annotate(n=Count("id"), points=Sum("total"), top=Sum("max_total"))
    ):
        tally = tallies[row["ent"]]
        tally.results += row["n"]
        tally.points += row["points"] or 0
        tally.max_points += row["top"] or 0
        tally.grades[row["grade"]] += row["n"]
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
    from .models import RectificationItem, RectificationStatus

    items = RectificationItem.objects.filter(campaign=campaign).exclude(
        status=RectificationStatus.WITHDRAWN
    )
    return {
        "rectifications": items.count(),
        "open": items.unsettled().count(),
        "overdue": items.overdue().count(),
        "closed": items.filter(status=RectificationStatus.CLOSED).count(),
    }


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
    flags = results.aggregate(
        passed=Count("id", filter=Q(passed=True)),
        inflated=Count("id", filter=Q(inflated_self=True)),
        vetoed=Count("id", filter=~Q(vetoes=[])),
    )
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
        "weak": _weak_results(results),
    }


def _weak_results(results: QuerySet) -> QuerySet:
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
    return (
        results.annotate(lagging_basis=Subquery(lagging), weak_then=Exists(weak_then))
        .filter(Q(weak_then=True) | Q(lagging_basis__isnull=False))
        .select_related("organization")
    )


def branch_history(org) -> list:
    """Every campaign's result for one branch, across years and rubric versions."""
    from .models import SETTLED, BranchResult, RectificationStatus

    return list(
        BranchResult.objects.filter(organization=org)
        .select_related("campaign__rubric_version__rubric")
        .annotate(
            items=Count(
                "rectifications",
                distinct=True,
                filter=~Q(rectifications__status=RectificationStatus.WITHDRAWN),
            ),
            open_items=Count(
                "rectifications",
                distinct=True,
                filter=~Q(rectifications__status__in=SETTLED),
            ),
        )
        .prefetch_related("consequences", "reratings")
        .order_by("-year", "-quarter", "-campaign__created_at")
    )


def consequence_effects(org) -> list:
    """The statuses and tasks the organization's results recorded (后进, 约谈, 不得评先评优,
    书记加分), in force and withdrawn, newest first: one query."""
    from .models import ConsequenceEffect

    return list(
        ConsequenceEffect.objects.filter(organization=org)
        .select_related("result__campaign", "withdrawn_by", "interview")
        .order_by("status", "-created_at", "-id")
    )


def draw_details(record) -> dict:
    """A recorded draw as people read it: enterprises, groups and branches by name, the
    inputs in words (the stored JSON stays as it is, for the redraw)."""
    from branches.models import CrossReviewGroup, Organization

    inputs = record.inputs
    population = inputs.get("population", {})
    ids = {int(e) for e in population} | {int(e) for e in record.selected}
    ids |= {i for chosen in record.selected.values() for i in chosen}
    ids |= {i for members in population.values() for i in members}
    names = dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))
    group_ids = set(inputs.get("groups") or []) | {
        g for pair in inputs.get("plan") or [] for g in pair
    }
    groups = dict(CrossReviewGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    rows = [
        (
            names.get(int(e), e),
            len(population.get(e, [])),
            [names.get(i, str(i)) for i in chosen],
        )
        for e, chosen in record.selected.items()
    ]
    ratio = inputs.get("ratio")
    settings = []
    if ratio:
        settings.append(("抽样比例", f"{scoring.fmt(Decimal(ratio) * 100)}%（每个企业至少 1 个）"))
    if inputs.get("count"):
        settings.append(("每个企业抽取", f"{inputs['count']} 个"))
    if "avoid_reciprocal" in inputs:
        settings.append(("避免两组互相考评", "是" if inputs["avoid_reciprocal"] else "否"))
    if inputs.get("groups"):
        settings.append(
            ("参加互评的组", "、".join(groups.get(g, str(g)) for g in inputs["groups"]))
        )
    return {
        "rows": rows,
        "plan": [
            (groups.get(a, str(a)), groups.get(b, str(b))) for a, b in inputs.get("plan") or []
        ],
        "settings": settings,
        "population": [
            (names.get(int(e), e), [names.get(i, str(i)) for i in members])
            for e, members in population.items()
        ],
    }


def sheets_by_stage(campaign: Campaign) -> list[tuple[Stage, int]]:
    """Every stage of a campaign with the number of its score sheets, in order."""
    return [
        (stage, stage.n)
        for stage in campaign.stages.annotate(n=Count("sheets")).order_by("position")
    ]


# -- the rules a sheet is scored by, and trends --------------------------------------------


def sheet_structure(sheet: ScoreSheet) -> Structure:
    """The sheet's rubric version as tree, rules and guidance: from memory for a published
    version (the campaign's always is), read once per sheet object otherwise."""
    if getattr(sheet, "_structure", None) is None:
        sheet._structure = version_structure(sheet.rubric_version)
    return sheet._structure


def sheet_version(sheet: ScoreSheet):
    """The sheet's rubric version with its sections, indicators, parts and bands (shared
    with the rules and the page's guidance texts: read only)."""
    return sheet_structure(sheet).tree


def sheet_rules(sheet: ScoreSheet) -> scoring.Rules:
    """The rules a sheet is scored by (an instrument stage scores only its own input),
    worked out once per sheet object."""
    if getattr(sheet, "_rules", None) is None:
        sheet._rules = _sheet_rules(sheet)
    return sheet._rules


def _sheet_rules(sheet: ScoreSheet) -> scoring.Rules:
    rules = sheet_structure(sheet).rules
    if any(i.kind == scoring.CUSTOM for i in rules.items()):
        # Each enterprise's own 个性指标 texts, on every page, offline sheet and PDF.
        if getattr(sheet, "_slot_texts", None) is None:
            enterprise_id = sheet.organization.enterprise_id
            sheet._slot_texts = slot_texts(sheet.rubric_version_id, enterprise_id)
        rules = with_slot_texts(rules, sheet._slot_texts)
    instrument = sheet.stage.instrument
    if instrument and sheet.rubric_version_id == sheet.campaign.rubric_version_id:
        sections = tuple(
            scoring.Section(
                s.code,
                s.title,
                tuple(replace(i, weight=Decimal(1)) for i in s.items if i.code == instrument),
                s.points,
            )
            for s in rules.sections
        )
        # One instrument alone gets no 亮牌: the grade comes from the weighted composite.
        rules = replace(rules, sections=sections, bands=())
    return rules


@dataclass(frozen=True)
class Held:
    """What a sheet holds: entries (code → (value, note)), veto findings (code → facts)
    and the overall note."""

    entries: dict[str, tuple[Decimal | None, str]]
    vetoes: dict[str, str]
    note: str


def _json_rows(model, **fields) -> Subquery:
    """A sheet's rows of ``model`` as one JSON array text (a correlated subquery), so the
    sheet and what it holds come back in one statement on SQLite and PostgreSQL alike."""
    row = Cast(JSONObject(**fields), TextField())
    return Subquery(
        model.objects.filter(sheet=OuterRef("pk"))
        .order_by()
        .values("sheet")
        .annotate(rows=StringAgg(row, delimiter=Value(",")))
        .values("rows")
    )


# Columns of the rows ``access.get_sheet`` joins that no sheet page or save reads: a
# person's login data, an organization's roster facts, a rubric's source texts. Left out,
# the joined row is a third narrower (fewer columns to compile, fetch and convert per
# request); a page that did read one would pay a query for it (the page's count is pinned).
_PERSON = (
    "password",
    "last_login",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "date_joined",
    "phone",
    "must_change_password",
    "password_changed_at",
)
_ORG = (*Organization.PROFILE_FIELDS, "created_at", "updated_at")
UNREAD_ON_SHEET = (
    *(f"{who}__{f}" for who in ("assessor", "signed_by") for f in _PERSON),
    *(f"{org}__{f}" for org in ("organization", "campaign__scope") for f in _ORG),
    "rubric_version__notes",
    "rubric_version__consequence_rules",
    *(f"rubric_version__rubric__{f}" for f in ("source_document", "source_file", "description")),
)


_FOR_SAVING = PreparedGet(
    lambda: _sheets_with_holdings().select_related(*SHEET_JOINS).defer(*UNREAD_ON_SHEET)
)


def sheet_for_saving() -> PreparedGet:
    """A sheet (for ``access.get_sheet``) with what it holds read in the same statement
    (for ``held_at``), compiled to SQL once."""
    return _FOR_SAVING


def _sheets_with_holdings() -> QuerySet[ScoreSheet]:
    return ScoreSheet.objects.annotate(
        held_entries=_json_rows(SheetEntry, c=F("code"), v=Cast("value", CharField()), n=F("note")),
        held_vetoes=_json_rows(VetoFinding, c=F("code"), f=F("facts")),
    )


def holdings(sheet: ScoreSheet) -> Held | None:
    """What the sheet held when it was read by ``sheet_for_saving``, else None."""
    if getattr(sheet, "_held", None) is not None:
        return sheet._held
    if not hasattr(sheet, "held_entries"):
        return None
    if getattr(sheet, "_held", None) is None:
        entries = json.loads(f"[{sheet.held_entries or ''}]")
        vetoes = json.loads(f"[{getattr(sheet, 'held_vetoes', '') or ''}]")
        sheet._held = Held(
            entries={
                e["c"]: (None if e["v"] is None else Decimal(e["v"]), e["n"]) for e in entries
            },
            vetoes={v["c"]: v["f"] for v in vetoes},
            note=sheet.note,
        )
    return sheet._held


def held_at(sheet: ScoreSheet, revision: int) -> Held | None:
    """What the sheet held when it was read (by ``sheet_for_saving``), if it was read at
    ``revision`` (a save at that revision then finds exactly this); else None."""
    return holdings(sheet) if sheet.revision == revision else None


def forget_held(sheet: ScoreSheet) -> None:
    """After a save: what was read with the sheet is no longer what it holds."""
    for name in ("held_entries", "held_vetoes", "_held"):
        sheet.__dict__.pop(name, None)
    sheet._prefetched_objects_cache = {}  # type: ignore[attr-defined]  # Django's, not in the stubs


def read_held(sheet: ScoreSheet) -> Held:
    """What the sheet holds now, read fresh (three small queries, no joins)."""
    return Held(
        entries={
            code: (value, note)
            for code, value, note in SheetEntry.objects.filter(sheet_id=sheet.pk).values_list(
                "code", "value", "note"
            )
        },
        vetoes=dict(VetoFinding.objects.filter(sheet_id=sheet.pk).values_list("code", "facts")),
        note=ScoreSheet.objects.filter(pk=sheet.pk).order_by().values_list("note", flat=True)[0],
    )


def entry_for(sheet: ScoreSheet, rules: scoring.Rules) -> scoring.Entry:
    held = holdings(sheet)
    if held is not None:
        return scoring.Entry(
            scores={c: v for c, (v, _) in held.entries.items() if v is not None},
            vetoes=frozenset(held.vetoes),
        )
    values = {e.code: e.value for e in sheet.entries.all() if e.value is not None}
    return scoring.Entry(scores=values, vetoes=frozenset(v.code for v in sheet.vetoes.all()))


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


# -- pages' lists (views call these; they never filter querysets themselves) --------------

OVERDUE = "overdue"  # a list filter beside the statuses: open past its deadline


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
                    organization__path__startswith=campaign.scope.path
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


def campaign_stages(campaign: Campaign) -> list[Stage]:
    return list(campaign.stages.prefetch_related("draws", "pairs__reviewer", "pairs__reviewed"))


def object_enterprises(campaign: Campaign) -> list[tuple[int, int | None]]:
    """(object id, the enterprise it belonged to when the campaign opened) for each of a
    campaign's objects: what draws group by, as the counts and lists do."""
    if not _fixed(campaign):
        return list(in_scope(campaign).values_list("pk", "enterprise_id"))
    return list(
        CampaignObject.objects.filter(campaign=campaign)
        .order_by("organization__path")
        .values_list("organization_id", "enterprise_id")
    )


def target_enterprises(campaign: Campaign) -> QuerySet[Organization]:
    """The enterprises of a campaign's objects, as they were when it opened (a list
    filter)."""
    if not _fixed(campaign):
        orgs = in_scope(campaign)
        return Organization.objects.filter(pk__in=orgs.values("enterprise")).order_by("path")
    objects = CampaignObject.objects.filter(campaign=campaign)
    return Organization.objects.filter(pk__in=objects.values("enterprise")).order_by("path")


def progress_sheets(
    campaign: Campaign, *, enterprise: int | None = None, status: str = "", q: str = ""
) -> QuerySet[ScoreSheet]:
    """The progress page's sheets: by enterprise, status (or overdue) and a search."""
    sheets = campaign.sheets.select_related("stage", "organization", "assessor").order_by(
        "stage__position", "organization__path"
    )
    if enterprise:
        sheets = sheets.filter(organization__enterprise_id=enterprise)
    if status == OVERDUE:
        sheets = sheets.overdue()
    elif status:
        sheets = sheets.filter(status=status)
    if q:
        sheets = sheets.filter(Q(organization__name__icontains=q) | Q(assessor__name__icontains=q))
    return sheets


def draw_page(record) -> dict:
    """A recorded draw with its details and whether running it again gives the same."""
    repeated = sampling.redraw(record.seed, record.inputs)
    return {"matches": repeated == record.selected, **draw_details(record)}


def _page_sheets() -> QuerySet[ScoreSheet]:
    earlier = (
        ScoreSheet.objects.filter(
            campaign_id=OuterRef("campaign_id"),
            organization_id=OuterRef("organization_id"),
            rubric_version_id=OuterRef("rubric_version_id"),
            stage__position__lte=OuterRef("stage__position"),
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(status=SheetStatus.DRAFT)
    )
    return (
        _sheets_with_holdings()
        .annotate(
            has_earlier=Exists(earlier),
            has_events=Exists(SheetEvent.objects.filter(sheet_id=OuterRef("pk"))),
            has_evidence=Exists(Evidence.objects.filter(sheet_id=OuterRef("pk"))),
            # Any meeting the branch held in the campaign's year: without one, no
            # record can suggest a score (``meetings.sheet_suggestions`` reads none).
            has_records=Exists(
                Meeting.objects.filter(
                    organization_id=OuterRef("organization_id"),
                    held_on__year=OuterRef("campaign__year"),
                ).exclude(status=MeetingStatus.PLANNED)
            ),
        )
        .select_related(*SHEET_JOINS)
        .defer(*UNREAD_ON_SHEET)
    )


_FOR_PAGE = PreparedGet(_page_sheets)


def sheet_for_page() -> PreparedGet:
    """A sheet (for ``access.get_sheet``) that knows whether any earlier sheet of its is
    there to show side by side (``other_sheets`` then skips its query when none is),
    whether it has any 流转记录 (``sheet_events``), evidence (``sheet_page``) or meeting
    records to suggest scores from, with what it holds (``holdings``); compiled once."""
    return _FOR_PAGE


def sheet_events(sheet: ScoreSheet) -> list:
    """The sheet's transitions with who made them (none read when the sheet, read by
    ``sheet_for_page``, is known to have none)."""
    if getattr(sheet, "has_events", True) is False:
        return []
    return list(sheet.events.select_related("actor"))


def sheet_page(sheet: ScoreSheet) -> ScoreSheet:
    """The sheet with everything its page shows, in a fixed number of queries: the given
    object when it came from ``access.get_sheet`` (its related rows already joined),
    with its entries, veto findings and evidence prefetched."""
    if "rubric_version" not in sheet._state.fields_cache:
        sheet = ScoreSheet.objects.select_related(*SHEET_JOINS).get(pk=sheet.pk)
    if holdings(sheet) is None:
        # Plain rows, not models: what the page and the running total read. A rubric
        # without veto items has no findings to read (saves refuse any other code).
        has_vetoes = any(i.kind == scoring.VETO for i in sheet_rules(sheet).items())
        sheet._held = Held(
            entries={
                code: (value, note)
                for code, value, note in SheetEntry.objects.filter(sheet_id=sheet.pk)
                .order_by()
                .values_list("code", "value", "note")
            },
            vetoes=dict(
                VetoFinding.objects.filter(sheet_id=sheet.pk)
                .order_by()
                .values_list("code", "facts")
            )
            if has_vetoes
            else {},
            note=sheet.note,
        )
    if getattr(sheet, "has_evidence", True) is False:  # read with the sheet: none
        cache = getattr(sheet, "_prefetched_objects_cache", {})
        # Django's prefetch cache, which the stubs do not declare.
        sheet._prefetched_objects_cache = {**cache, "evidence": Evidence.objects.none()}  # type: ignore[attr-defined]
    else:
        evidence = Prefetch("evidence", queryset=Evidence.objects.order_by("pk"))
        prefetch_related_objects([sheet], evidence)
    return sheet


def result_grades(campaign: Campaign) -> list[str]:
    return [b.label for b in campaign.rubric_version.bands.all() if not b.scale]


def campaign_consequences(campaign: Campaign, *, q: str = "", status: str = "") -> QuerySet:
    """The campaign's consequences, by organization; ``q`` searches the organization's
    name or code, ``status`` keeps one status (an unknown one keeps none)."""
    from .models import Consequence

    qs = Consequence.objects.filter(result__campaign=campaign).select_related(
        "result__organization__parent", "done_by"
    )
    if q:
        qs = qs.filter(
            Q(result__organization__name__icontains=q) | Q(result__organization__code__icontains=q)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("result__organization__path", "rule", "pk")


# The one list's source filter: each review stage that found a shortfall, each mechanism,
# the yearly screening and the hand-entered sources (value, label).
STAGE_SOURCE = "stage-"
REVIEW_KINDS = [
    k
    for k in StageKind
    if k not in (StageKind.SELF, StageKind.CONSOLIDATION, StageKind.MOBILIZATION)
]


def source_filters() -> list[tuple[str, str]]:
    labels: dict[str, str] = {
        ProblemSource.ASSESSMENT: "考评扣分（全部阶段）",
        ProblemSource.CONSOLIDATION: "过筛子（集中整顿）",
    }
    return [
        *[(f"{STAGE_SOURCE}{k.value}", k.label) for k in REVIEW_KINDS],
        *[(value, labels.get(value, label)) for value, label in ProblemSource.choices],
    ]


def _found_facts() -> QuerySet[ItemFact]:
    """The stored facts that make a campaign item: a shortfall, an unmet ▲ item or a veto
    on a signed review sheet of the campaign's current rubric version."""
    return ItemFact.objects.filter(
        Q(lost__gt=0) | Q(unmet=True) | Q(veto=True),
        sheet__status=SheetStatus.SIGNED,
        sheet__rubric_version_id=F("sheet__campaign__rubric_version_id"),
    ).exclude(sheet__stage__kind=StageKind.SELF)


def found_at_stage(kind: str) -> Exists:
    """A condition on items: a sheet of this kind of stage found it."""
    return Exists(
        _found_facts().filter(
            sheet__stage__kind=kind,
            sheet__campaign_id=OuterRef("campaign_id"),
            sheet__organization_id=OuterRef("organization_id"),
            code=OuterRef("code"),
            kind=OuterRef("kind"),
        )
    )


def with_stages(items) -> list[RectificationItem]:
    """Give each campaign item ``stages``: the names of the review stages whose signed
    sheets found it, in stage order (one query whatever the number of items); and each
    item ``source_label``: those stages, or the source it was entered from."""
    items = list(items)
    campaigns = {i.campaign_id for i in items if i.campaign_id}
    found: dict[tuple, list[str]] = defaultdict(list)
    if campaigns:
        rows = (
            _found_facts()
            .filter(
                sheet__campaign_id__in=campaigns,
                sheet__organization_id__in={i.organization_id for i in items},
            )
            .values_list(
                "sheet__campaign_id",
                "sheet__organization_id",
                "code",
                "kind",
                "sheet__stage__name",
                "sheet__stage__position",
            )
            .distinct()
            .order_by("sheet__stage__position")
        )
        for campaign_id, org_id, code, kind, name, _ in rows:
            key = (campaign_id, org_id, code, kind)
            if name not in found[key]:
                found[key].append(name)
    for i in items:
        i.stages = found.get((i.campaign_id, i.organization_id, i.code, i.kind), [])
        i.source_label = "、".join(i.stages) if i.stages else i.get_source_display()
    return items


def rectification_list(
    user: User,
    *,
    status: str = "",
    org: int | None = None,
    campaign: int | None = None,
    source: str = "",
    q: str = "",
) -> QuerySet:
    """The rectification items a user sees (一支部一清单: every source in one list),
    filtered as the list page asks."""
    items = visible_rectifications(user).select_related(
        "organization__parent", "campaign", "closed_by"
    )
    if status == OVERDUE:
        items = items.overdue()
    elif status:
        items = items.filter(status=status)
    if org:
        items = items.filter(organization_id=org)
    if campaign:
        items = items.filter(campaign_id=campaign)
    if source.startswith(STAGE_SOURCE):
        items = items.filter(found_at_stage(source.removeprefix(STAGE_SOURCE)))
    elif source:
        items = items.filter(source=source)
    if q:
        items = items.filter(Q(organization__name__icontains=q) | Q(problem__icontains=q))
    return items.order_by("organization__path", "deadline", "code", "pk")


def branch_ledger(org: Organization) -> dict:
    """One branch's ledger (003): every item — from scores and entered by hand — as the
    three lists 问题清单 / 责任清单 / 整改清单 show them, its 集中整顿 items apart, and its
    screening history."""
    items = with_stages(
        RectificationItem.objects.filter(organization=org)
        .exclude(status=RectificationStatus.WITHDRAWN)
        .select_related("campaign", "closed_by", "created_by", "screening")
        .order_by("deadline", "code", "pk")
    )
    screenings = list(
        Screening.objects.filter(organization=org).select_related("by").order_by("-year", "-at")
    )
    return {
        "items": items,
        "consolidation": [i for i in items if i.screening_id],
        "screenings": screenings,
        "open_count": sum(1 for i in items if not i.is_closed),
        "overdue_count": sum(1 for i in items if i.overdue),
    }


UNSCREENED = "none"  # the screening filter's value for branches not yet screened this year


def screening_overview(
    orgs: QuerySet[Organization], year: int, *, q: str = "", category: str = ""
) -> dict:
    """The branches in scope for the year's screening, as a query to page (``q`` searches
    name or code, ``category`` keeps one category of the year or UNSCREENED), with the
    counts per category over every branch in scope: aggregates in SQL whatever the number
    of branches."""
    branches = orgs.filter(kind="branch")
    of_year = Screening.objects.filter(organization__in=branches, year=year)
    # The year's latest screening of each branch is the one that counts.
    latest = of_year.filter(organization_id=OuterRef("pk")).order_by("-at", "-pk")
    counts = Counter(
        dict(
            branches.annotate(category_then=Subquery(latest.values("category")[:1]))
            .exclude(category_then=None)
            .values("category_then")
            .annotate(n=Count("pk"))
            .values_list("category_then", "n")
        )
    )
    total = branches.count()
    listed = branches
    if q:
        listed = listed.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if category == UNSCREENED:
        listed = listed.exclude(Exists(of_year.filter(organization_id=OuterRef("pk"))))
    elif category:
        listed = listed.alias(category_then=Subquery(latest.values("category")[:1])).filter(
            category_then=category
        )
    return {
        "branches": listed.select_related("parent").order_by("path"),
        "counts": counts,
        "total": total,
        "unscreened": total - sum(counts.values()),
    }


def screening_rows(branches, year: int) -> list[tuple[Organization, Screening | None]]:
    """One page of branches beside the year's screening of each (the latest): one query."""
    of_year = {
        s.organization_id: s
        for s in Screening.objects.filter(organization__in=[o.pk for o in branches], year=year)
        .select_related("by")
        .order_by("at", "pk")
    }
    return [(org, of_year.get(org.pk)) for org in branches]
