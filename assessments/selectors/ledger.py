"""Results, consequences, the rectification list (一支部一清单) and screenings, as pages and
exports read them."""

from collections import Counter, defaultdict

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from branches.models import Organization, User

from ..access import (
    visible_rectifications,
)
from ..models import (
    BranchResult,
    Campaign,
    CampaignObject,
    ConsequenceEffect,
    ItemFact,
    ProblemSource,
    RectificationItem,
    RectificationStatus,
    ScoreSheet,
    Screening,
    SheetStatus,
    StageKind,
    VetoFinding,
)
from .progress import OVERDUE

# -- results, ledgers, rectification --------------------------------------------------------


def results_ledger(
    campaign: Campaign, *, enterprise: int | None = None, grade: str = "", q: str = ""
) -> QuerySet:
    """The campaign's final results, best first (the ranking, stored on each result by
    ``rank_results``). The filters choose which results are shown; each keeps its rank in
    the whole campaign (a 基本合格 shown alone is still 11th, not 1st)."""

    qs = BranchResult.objects.filter(campaign=campaign).select_related("organization")
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
    bands = [b.label for b in campaign.rubric_version.bands.all() if not b.scale]
    # The enterprise printed beside each result is the one counted for it: where the
    # object belonged when the campaign opened (a later move changes neither). A subquery
    # per shown row: the page's count and its rows stay reads of the ranking index.
    enterprise_then = CampaignObject.objects.filter(
        campaign=campaign, organization_id=OuterRef("organization_id")
    ).values("enterprise__name")[:1]
    enterprise_now = Organization.objects.filter(pk=OuterRef("organization_id")).values(
        "enterprise__name"
    )[:1]
    return qs.annotate(
        top_grade=Value(bands[0] if bands else "", output_field=CharField()),
        enterprise_name=Coalesce(Subquery(enterprise_then), Subquery(enterprise_now)),
    ).order_by("position")


def ranking_excerpt(campaign: Campaign, limit: int) -> dict:
    """The top and the bottom ``limit`` of the ranking (``results_ledger``'s order and
    rank), chosen by their stored positions: ``top`` and ``bottom`` (empty when the whole
    ranking fits in 2 × ``limit``, all of it then in ``top``), ``total`` (the ranking's
    length: its last position, an indexed read) and ``skipped`` (those in between). The
    results page and the leader summary PDF print the same excerpt."""
    last = BranchResult.objects.filter(campaign=campaign).aggregate(last=Max("position"))
    total = last["last"] or 0
    if total <= 2 * limit:
        return {"top": list(results_ledger(campaign)), "bottom": [], "total": total, "skipped": 0}
    start = total - limit
    ends = results_ledger(campaign).filter(Q(position__lte=limit) | Q(position__gt=start))
    rows = list(ends)
    return {
        "top": [r for r in rows if r.position <= limit],
        "bottom": [r for r in rows if r.position > start],
        "total": total,
        "skipped": start - limit,
    }


def vetoed_results(campaign: Campaign) -> QuerySet:
    """Results with a standing veto: what a 推翻 decision can be recorded against."""

    return (
        BranchResult.objects.filter(campaign=campaign)
        .exclude(vetoes=[])
        .select_related("organization")
        .order_by("organization__tree_key")
    )


def overturn_stages(campaign: Campaign) -> QuerySet:
    """Stages the 推翻 form offers: those after the earliest stage at which a signed review
    found any veto (the service checks the chosen finding by the same rule)."""

    signed = ScoreSheet.objects.signed_reviews(campaign)
    return VetoFinding.objects.filter(sheet__in=signed).overturnable_stages(campaign)


def branch_history(org) -> list:
    """Every campaign's result for one branch, across years and rubric versions."""
    from ..models import SETTLED, RectificationStatus

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

    return list(
        ConsequenceEffect.objects.filter(organization=org)
        .select_related("result__campaign", "withdrawn_by", "interview")
        .order_by("status", "-created_at", "-id")
    )


def result_grades(campaign: Campaign) -> list[str]:
    return [b.label for b in campaign.rubric_version.bands.all() if not b.scale]


def campaign_consequences(campaign: Campaign, *, q: str = "", status: str = "") -> QuerySet:
    """The campaign's consequences, by organization; ``q`` searches the organization's
    name or code, ``status`` keeps one status (an unknown one keeps none)."""
    from ..models import Consequence

    qs = (
        Consequence.objects.filter(result__campaign=campaign)
        .select_related("result__organization")
        .prefetch_related("result__organization__parent", "done_by")
    )
    if q:
        qs = qs.filter(
            Q(result__organization__name__icontains=q) | Q(result__organization__code__icontains=q)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("result__organization__tree_key", "rule", "pk")


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
    # Each row's own organization by the join that orders the list; the few parents and
    # campaigns a page shows read once each and shared (50 copies of one campaign cost
    # more to build than the page's query).
    items = (
        visible_rectifications(user)
        .select_related("organization")
        .prefetch_related("organization__parent", "campaign")
    )
    if status == OVERDUE:
        items = items.overdue()
    elif status:
        items = items.filter(status=status)
    if org:
        items = items.filter(organization_id=org)
    if campaign:
        # Not through the campaign's index, which holds most of the items: the page is
        # read in the tree's order (organizations by their key, each one's items by
        # theirs) and the read stops after it.
        items = items.filter(campaign_id__unindexed=campaign)
    if source.startswith(STAGE_SOURCE):
        items = items.filter(found_at_stage(source.removeprefix(STAGE_SOURCE)))
    elif source:
        items = items.filter(source=source)
    if q:
        items = items.filter(
            Q(organization__name__icontains=q)
            | Q(organization__code__icontains=q)
            | Q(problem__icontains=q)
        )
    return items.order_by("organization__tree_key", "deadline", "code", "pk")


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
    branches = orgs.filter(kind=Screening.KIND)
    of_year = Screening.objects.filter(organization__in=branches, year=year)
    # The year's latest screening of each branch is the one that counts.
    latest = of_year.filter(organization_id=OuterRef("pk")).order_by("-at", "-pk")
    # Counted from the year's screenings (each checked against the scope), not from every
    # branch in scope: the work follows the screenings recorded.
    newer = Screening.objects.filter(organization_id=OuterRef("organization_id"), year=year).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    counts = Counter(
        dict(
            Screening.objects.filter(year=year)
            .filter(Exists(branches.filter(pk=OuterRef("organization_id"))))
            .exclude(Exists(newer))
            .order_by()
            .values("category")
            .annotate(n=Count("pk"))
            .values_list("category", "n")
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
        "branches": listed.select_related("parent").order_by("tree_key"),
        # Unfiltered, the list is every branch in scope: its length is ``total``.
        "listed": total if listed is branches else None,
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
