"""How far a campaign has got: its stages, each enterprise's progress and the sheets behind
it."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import (
    Count,
    Q,
    QuerySet,
)
from django.utils import timezone

from ..models import (
    EDITABLE,
    Campaign,
    ScoreSheet,
    SheetStatus,
    Stage,
    overdue_q,
)


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


def sheets_by_stage(campaign: Campaign) -> list[tuple[Stage, int]]:
    """Every stage of a campaign with the number of its score sheets, in order."""
    return [
        (stage, stage.n)
        for stage in campaign.stages.annotate(n=Count("sheets")).order_by("position")
    ]


# -- pages' lists (views call these; they never filter querysets themselves) --------------

OVERDUE = "overdue"  # a list filter beside the statuses: open past its deadline


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
