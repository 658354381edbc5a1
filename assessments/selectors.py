"""Reads of campaigns and sheets: who may see what, and pages in bounded queries."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from branches import access
from branches.access import Perm
from branches.models import Membership, Organization, Role, User
from rubrics import scoring

from .models import EDITABLE, Campaign, Evidence, ScoreSheet, SheetStatus, Stage, StageKind


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    return Campaign.objects.filter(access.scope_q(user, Perm.VIEW_RESULTS, "scope__path"))


def get_campaign(user: User, pk: int, perm: Perm = Perm.VIEW_RESULTS) -> Campaign:
    campaign = (
        Campaign.objects.select_related("scope", "rubric_version__rubric").filter(pk=pk).first()
    )
    if campaign is None or not (
        access.has_perm(user, Perm.VIEW_RESULTS, campaign.scope)
        or ScoreSheet.objects.filter(campaign=campaign, assessor=user).exists()
    ):
        raise Http404("考评活动不存在或无权查看")
    if not access.has_perm(user, perm, campaign.scope):
        raise PermissionDenied
    return campaign


def reviews_sheet(user: User, sheet: ScoreSheet) -> bool:
    """True if the user scores the sheet's organization in its campaign at a review stage
    no earlier than the sheet's own: that stage's and later stages' reviewers check it.
    A secretary's self-assessment does not count, so a secretary never reviews a review."""
    return (
        ScoreSheet.objects.scored_by(user)
        .filter(
            campaign_id=sheet.campaign_id,
            organization_id=sheet.organization_id,
            stage__position__gte=sheet.stage.position,
        )
        .exclude(pk=sheet.pk)
        .exists()
    )


def scored_pairs_q(user: User, prefix: str = "") -> Q:
    """Rows whose (campaign, organization) pair this user scored at a review stage; exact
    pairs, not "any campaign scored × any organization scored"."""
    return Q(ScoreSheet.objects.reviewed_pairs(user, prefix))


def can_view_sheet(user: User, sheet: ScoreSheet) -> bool:
    if sheet.assessor_id == user.pk or access.has_perm(user, Perm.VIEW_RESULTS, sheet.organization):
        return True
    # A reviewer of the same organization in the same campaign sees it side by side.
    if reviews_sheet(user, sheet):
        return True
    # A secretary sees the reviews of their own branch once they are signed.
    return (
        sheet.status == SheetStatus.SIGNED
        and Membership.objects.filter(
            user=user, role=Role.SECRETARY, organization_id=sheet.organization_id
        ).exists()
    )


def get_sheet(user: User, pk: int) -> ScoreSheet:
    sheet = (
        ScoreSheet.objects.select_related(
            "stage",
            "campaign__scope",
            "organization",
            "assessor",
            "rubric_version__rubric",
            "signed_by",
        )
        .filter(pk=pk)
        .first()
    )
    if sheet is None:
        raise Http404("考评表不存在或无权查看")
    if not can_view_sheet(user, sheet):
        if Membership.objects.filter(
            user=user, role=Role.SECRETARY, organization_id=sheet.organization_id
        ).exists():
            # The branch's own secretary is an insider: a review not yet signed is a 403.
            raise PermissionDenied
        raise Http404("考评表不存在或无权查看")
    return sheet


@dataclass
class Earlier:
    """An earlier stage's finding on one line: its score, its note and its evidence files."""

    sheet: ScoreSheet
    shown: str
    differs: bool
    note: str = ""
    evidence: list = field(default_factory=list)


@dataclass
class Row:
    """One line of the sheet page: an item, a part or a veto, with every value shown."""

    code: str
    text: str
    points: str
    step: str
    kind: str
    key: bool = False
    is_part: bool = False
    has_parts: bool = False
    value: str = ""
    note: str = ""
    others: list[Earlier] = field(default_factory=list)
    evidence: list = field(default_factory=list)
    veto_facts: str | None = None
    guidance: str = ""


def sheet_rows(
    sheet: ScoreSheet,
    rules: scoring.Rules,
    others: list[ScoreSheet],
    *,
    posted: tuple[dict, dict, dict] | None = None,
) -> list[tuple[scoring.Section, list[Row]]]:
    """Everything the sheet page shows, from prefetched rows (no query per item).
    ``posted`` (values, notes, vetoes) shows what a person typed instead of what is stored,
    so a refused save gives the form back with nothing lost."""
    mine = {e.code: e for e in sheet.entries.all()}
    vetoes = {v.code: v.facts for v in sheet.vetoes.all()}
    typed_values, typed_notes, typed_vetoes = posted or ({}, {}, None)
    if typed_vetoes is not None:
        vetoes = dict(typed_vetoes)
    evidence = defaultdict(list)
    for ev in sheet.evidence.all():
        evidence[ev.code].append(ev)
    other_values = []
    for o in others:
        other_evidence = defaultdict(list)
        for ev in o.evidence.all():
            other_evidence[ev.code].append(ev)
        other_values.append(
            (
                {e.code: e for e in o.entries.all()},
                {v.code: v.facts for v in o.vetoes.all()},
                other_evidence,
                o,
            )
        )
    from .services import sheet_version

    guidance = {
        i.code: i.guidance
        for section in sheet_version(sheet).sections.all()
        for i in section.indicators.all()
    }

    def show(value, code):
        if value is None:
            return ""
        if rules.method == scoring.CHECKLIST:
            item = next(i for i in rules.items() if i.code == code)
            for label, fraction in rules.levels:
                if item.points * fraction == value:
                    return label
        return scoring.fmt(value)

    def line(code, text, points, step, kind, **kwargs) -> Row:
        entry = mine.get(code)
        row = Row(
            code=code,
            text=text,
            points=points,
            step=step,
            kind=kind,
            value=show(entry.value, code) if entry else "",
            note=entry.note if entry else "",
            evidence=evidence.get(code, []),
            guidance=guidance.get(code, ""),
            **kwargs,
        )
        if code in typed_values:
            row.value = typed_values[code]
            row.note = typed_notes.get(code, "")
        for entries, other_vetoes, other_evidence, other in other_values:
            files = other_evidence.get(code, [])
            if kind == scoring.VETO:
                shown = "是" if code in other_vetoes else "否"
                differs = (code in other_vetoes) != (code in vetoes)
                note = other_vetoes.get(code, "")
            else:
                other_entry = entries.get(code)
                shown = show(other_entry.value, code) if other_entry else ""
                differs = bool(row.value and shown and shown != row.value)
                note = other_entry.note if other_entry else ""
            row.others.append(Earlier(other, shown, differs, note, files))
        return row

    out = []
    for section in rules.sections:
        rows = []
        for item in section.items:
            if item.kind == scoring.VETO:
                rows.append(
                    line(item.code, item.text, "", "", item.kind, veto_facts=vetoes.get(item.code))
                )
                continue
            top = "100" if item.kind == scoring.INPUT else scoring.fmt(item.points)
            if item.parts:
                rows.append(
                    Row(
                        code=item.code,
                        text=item.text,
                        points=top,
                        step="",
                        kind=item.kind,
                        key=item.key,
                        has_parts=True,
                        guidance=guidance.get(item.code, ""),
                        evidence=evidence.get(item.code, []),
                        # One cell per earlier stage (scores are by part): its files for the item.
                        others=[
                            Earlier(other, "", False, evidence=other_evidence.get(item.code, []))
                            for _, _, other_evidence, other in other_values
                        ],
                    )
                )
                rows += [
                    line(
                        p.code,
                        p.text,
                        scoring.fmt(p.points),
                        scoring.fmt(p.step),
                        item.kind,
                        is_part=True,
                    )
                    for p in item.parts
                ]
            else:
                rows.append(
                    line(item.code, item.text, top, scoring.fmt(item.step), item.kind, key=item.key)
                )
        out.append((section, rows))
    return out


def other_sheets(
    sheet: ScoreSheet, *, viewer: User | None = None, formal: bool = False
) -> list[ScoreSheet]:
    """The same organization's sheets in earlier stages (and the self-assessment), shown
    side by side: only those the viewer may see; in a formal report (``formal``) only the
    self-assessment and signed reviews."""
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
        ScoreSheet.objects.filter(assessor=user, status__in=EDITABLE, campaign__status="open")
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
    from .models import RectificationItem, RectificationStatus

    fix = (
        RectificationItem.objects.filter(
            organization__memberships__user=user,
            organization__memberships__role=Role.SECRETARY,
            status__in=[RectificationStatus.OPEN, RectificationStatus.RETURNED],
        )
        .select_related("organization")
        .order_by("deadline")
    )
    verify = (
        RectificationItem.objects.reviewed_by(user)
        .filter(status=RectificationStatus.SUBMITTED)
        .select_related("organization")
    )
    return list(fix[:20]), list(verify[:20])


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
        "has_self_sheets": "self" in kinds,
        "has_review_sheets": bool(kinds - {"self"}),
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


def draw_problems(campaign: Campaign, stages: list[Stage]) -> list[tuple[Stage, str]]:
    """Cross-review stages not drawn yet whose plan cannot be drawn, with the reason (shown
    on the campaign page while the plan can still be changed)."""
    from .services import cross_review_problem

    if campaign.status == "closed":
        return []
    return [
        (stage, problem)
        for stage in stages
        if stage.assessor == "cross_group"
        and not stage.draws.all()
        and (problem := cross_review_problem(campaign, stage))
    ]


# -- results, ledgers, rectification --------------------------------------------------------


def results_ledger(
    campaign: Campaign, *, enterprise: str | None = None, grade: str = "", q: str = ""
) -> QuerySet:
    """The campaign's final results, best first (the ranking)."""
    from .models import BranchResult

    qs = BranchResult.objects.filter(campaign=campaign).select_related(
        "organization__enterprise", "organization__parent"
    )
    if enterprise:
        qs = qs.filter(organization__enterprise_id=enterprise)
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
    return qs.annotate(
        tier=tier, top_grade=Value(bands[0] if bands else "", output_field=CharField())
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


def _scope_by_enterprise(campaign: Campaign) -> dict[str | None, int]:
    """Objects in the campaign's scope per enterprise name (as services.targets)."""
    in_scope = Organization.objects.filter(
        path__startswith=campaign.scope.path, kind__in=campaign.kinds
    ).exclude(pk=campaign.scope_id)
    return dict(
        in_scope.values("enterprise__name")
        .annotate(n=Count("id"))
        .values_list("enterprise__name", "n")
    )


def _rates_by_enterprise(results: QuerySet, scope_by_enterprise: dict) -> list[dict]:
    # Rates count every object in scope: one result out of 17 is not "100%".
    by_enterprise = []
    for row in (
        results.values("organization__enterprise__name")
        .annotate(n=Count("id"), passed=Count("id", filter=Q(passed=True)))
        .order_by("organization__enterprise__name")
    ):
        scope_n = max(scope_by_enterprise.get(row["organization__enterprise__name"], 0), row["n"])
        rate = round(row["passed"] * 100 / scope_n, 1) if scope_n else None
        by_enterprise.append({**row, "scope": scope_n, "rate": rate})
    return by_enterprise


def _reviews_still_open(campaign: Campaign) -> bool:
    """A review sheet is still open, or a review stage is still to come (not yet assigned
    or drawn, its deadline not passed)."""
    return (
        ScoreSheet.objects.filter(campaign=campaign)
        .reviews()
        .exclude(status=SheetStatus.SIGNED)
        .exists()
    ) or (
        campaign.stages.exclude(assessor__in=["branch", "none"])
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
    """The consolidation stage's numbers: pass rates, distribution, flags, rectification."""
    from .models import BranchResult

    results = BranchResult.objects.filter(campaign=campaign)
    scope_by_enterprise = _scope_by_enterprise(campaign)
    totals = results.aggregate(
        points=Sum("total"),
        max_points=Sum("max_total"),
        tiered=Count("id", filter=Q(passed__isnull=False)),
        n=Count("id"),
        passed=Count("id", filter=Q(passed=True)),
        inflated=Count("id", filter=Q(inflated_self=True)),
        vetoed=Count("id", filter=~Q(vetoes=[])),
    )
    distribution = list(results.values("grade").annotate(n=Count("id")).order_by("-n", "grade"))
    by_enterprise = _rates_by_enterprise(results, scope_by_enterprise)
    scope_total = max(sum(scope_by_enterprise.values()), totals["n"])
    missing = scope_total - totals["n"]
    # Provisional until the last stage closes: every object has a result and no review
    # is open or still to come.
    still_open = _reviews_still_open(campaign)
    return {
        "results": totals["n"],
        "passed": totals["passed"],
        "rate": round(totals["passed"] * 100 / scope_total, 1) if totals["n"] else None,
        # A checklist (河钢) has no tiers: its rate is the share of points met.
        "compliance": round(totals["points"] * 100 / totals["max_points"], 2)
        if totals["n"] and not totals["tiered"] and totals["max_points"]
        else None,
        "in_scope": scope_total,
        "missing": missing,
        "provisional": bool(totals["n"]) and (missing > 0 or still_open),
        "inflated": totals["inflated"],
        "vetoed": totals["vetoed"],
        "distribution": distribution,
        "by_enterprise": by_enterprise,
        **_rectification_counts(campaign),
        "weak": results.filter(
            Q(organization__weak_and_lax=True) | Q(organization__category="lagging")
        ).select_related("organization"),
    }


def visible_rectifications(user: User) -> QuerySet:
    """Items a user may see: their own branch's (secretary), those of branches they scored
    (reviewers), and everything in scope for the department and leaders."""
    from .models import RectificationItem

    condition = access.scope_q(user, Perm.VIEW_RESULTS, "organization__path")
    if not user.is_superuser:
        if not access.has_perm(user, Perm.VIEW_RESULTS):
            condition = Q(pk__in=[])
        condition |= Q(
            organization__memberships__user=user, organization__memberships__role=Role.SECRETARY
        )
        condition |= scored_pairs_q(user)
    return RectificationItem.objects.filter(condition).distinct()


def get_rectification(user: User, pk: int):
    item = (
        visible_rectifications(user)
        .select_related("organization", "campaign", "result", "closed_by")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("整改事项不存在或无权查看")
    return item


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


def dashboard(user: User) -> list[dict]:
    """Leaders' and the department's overview: the latest campaigns with results, charted
    by the same SVG functions the PDF reports use."""
    if not access.has_perm(user, Perm.VIEW_RESULTS):
        return []
    from . import charts
    from .reports import trend

    campaigns = (
        visible_campaigns(user)
        .filter(results__isnull=False)
        .distinct()
        .select_related("rubric_version__rubric", "scope")
        .order_by("-year", "-quarter", "-created_at")[:3]
    )
    out = []
    for campaign in campaigns:
        summary = campaign_summary(campaign)
        out.append(
            {
                "campaign": campaign,
                "summary": summary,
                "chart_enterprise": charts.bar_chart(
                    [
                        (r["organization__enterprise__name"] or "—", r["rate"] or 0)
                        for r in summary["by_enterprise"]
                    ],
                    title="各企业达标率",
                    unit="%",
                    maximum=100,
                    width=520,
                ),
                "chart_grades": charts.bar_chart(
                    [(d["grade"], d["n"]) for d in summary["distribution"]],
                    title="等次分布",
                    unit=" 个",
                    width=520,
                ),
                "chart_trend": charts.line_chart(
                    trend(campaign), title="历次考评达标率", width=520
                ),
            }
        )
    return out


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
