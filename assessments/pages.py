"""Page shaping: the sheet page's rows, the campaign page's draw problems and the home page's
charts, built from what the selectors read (and, for draw problems, what a service checks)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from branches import access
from branches.access import Perm
from branches.models import User
from rubrics import scoring

from . import charts
from .access import results_campaigns
from .models import Assessor, Campaign, CampaignStatus, ScoreSheet, Stage
from .selectors import (
    campaign_summary,
    current_stage,
    holdings,
    running_progress,
    sheet_structure,
    trend,
)
from .services.campaigns import cross_review_problem, ungrouped_notice


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


@dataclass
class _Recorded:
    """One sheet's stored findings by code: entries, veto facts and evidence files."""

    sheet: ScoreSheet
    entries: dict
    vetoes: dict[str, str]
    evidence: dict[str, list]


class _Held(NamedTuple):
    value: Decimal | None
    note: str


def _recorded(sheet: ScoreSheet) -> _Recorded:
    evidence = defaultdict(list)
    for ev in sheet.evidence.all():
        evidence[ev.code].append(ev)
    held = holdings(sheet)
    if held is not None:  # read with the sheet itself
        return _Recorded(
            sheet,
            {code: _Held(*entry) for code, entry in held.entries.items()},
            dict(held.vetoes),
            evidence,
        )
    return _Recorded(
        sheet,
        {e.code: e for e in sheet.entries.all()},
        {v.code: v.facts for v in sheet.vetoes.all()},
        evidence,
    )


@dataclass
class _Page:
    """What every line of the sheet page is built from."""

    rules: scoring.Rules
    mine: _Recorded
    vetoes: dict[str, str]  # as stored, or as typed in a refused save
    typed_values: dict
    typed_notes: dict
    others: list[_Recorded]
    guidance: dict[str, str]


def _guidance(sheet: ScoreSheet) -> dict[str, str]:
    return sheet_structure(sheet).guidance


def _earlier(page: _Page, other: _Recorded, code: str, kind: str, value: str) -> Earlier:
    """An earlier sheet's finding on one line, and whether it differs from this sheet's."""
    files = other.evidence.get(code, [])
    if kind == scoring.VETO:
        shown = "是" if code in other.vetoes else "否"
        differs = (code in other.vetoes) != (code in page.vetoes)
        return Earlier(other.sheet, shown, differs, other.vetoes.get(code, ""), files)
    entry = other.entries.get(code)
    shown = scoring.shown_value(page.rules, code, entry.value) if entry else ""
    differs = bool(value and shown and shown != value)
    return Earlier(other.sheet, shown, differs, entry.note if entry else "", files)


def _line(page: _Page, code: str, text: str, points: str, step: str, kind: str, **kwargs) -> Row:
    """A line that takes a value: an item without parts, a part, or a veto."""
    entry = page.mine.entries.get(code)
    row = Row(
        code=code,
        text=text,
        points=points,
        step=step,
        kind=kind,
        value=scoring.shown_value(page.rules, code, entry.value) if entry else "",
        note=entry.note if entry else "",
        evidence=page.mine.evidence.get(code, []),
        guidance=page.guidance.get(code, ""),
        **kwargs,
    )
    if code in page.typed_values:
        row.value = page.typed_values[code]
        row.note = page.typed_notes.get(code, "")
    row.others = [_earlier(page, other, code, kind, row.value) for other in page.others]
    return row


def _parent(page: _Page, item: scoring.Item, points: str) -> Row:
    """An item scored by its parts: a heading line with the item's files."""
    return Row(
        code=item.code,
        text=item.text,
        points=points,
        step="",
        kind=item.kind,
        key=item.key,
        has_parts=True,
        guidance=page.guidance.get(item.code, ""),
        evidence=page.mine.evidence.get(item.code, []),
        # One cell per earlier stage (scores are by part): its files for the item.
        others=[
            Earlier(other.sheet, "", False, evidence=other.evidence.get(item.code, []))
            for other in page.others
        ],
    )


def _item_rows(page: _Page, item: scoring.Item) -> list[Row]:
    if item.kind == scoring.VETO:
        veto_facts = page.vetoes.get(item.code)
        return [_line(page, item.code, item.text, "", "", item.kind, veto_facts=veto_facts)]
    top = "100" if item.kind == scoring.INPUT else scoring.fmt(item.points)
    if not item.parts:
        step = scoring.fmt(item.step)
        return [_line(page, item.code, item.text, top, step, item.kind, key=item.key)]
    return [_parent(page, item, top)] + [
        _line(
            page,
            p.code,
            p.text,
            scoring.fmt(p.points),
            scoring.fmt(p.step),
            item.kind,
            is_part=True,
        )
        for p in item.parts
    ]


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
    typed_values, typed_notes, typed_vetoes = posted or ({}, {}, None)
    mine = _recorded(sheet)
    page = _Page(
        rules=rules,
        mine=mine,
        vetoes=mine.vetoes if typed_vetoes is None else dict(typed_vetoes),
        typed_values=typed_values,
        typed_notes=typed_notes,
        others=[_recorded(o) for o in others],
        guidance=_guidance(sheet),
    )
    return [
        (section, [row for item in section.items for row in _item_rows(page, item)])
        for section in rules.sections
    ]


def draw_problems(campaign: Campaign, stages: list[Stage]) -> list[tuple[Stage, str]]:
    """Cross-review stages not drawn yet whose plan cannot be drawn, with the reason (shown
    on the campaign page while the plan can still be changed)."""
    if campaign.is_closed:
        return []
    return [
        (stage, problem)
        for stage in stages
        if stage.assessed_by == Assessor.CROSS_GROUP
        and not stage.draws.all()
        and (problem := cross_review_problem(campaign, stage))
    ]


def ungrouped_warning(campaign: Campaign, stages: list[Stage]) -> str:
    """While a cross-review stage is still to be drawn: which enterprises it will not reach."""
    waiting = [s for s in stages if s.assessed_by == Assessor.CROSS_GROUP and not s.draws.all()]
    return "" if campaign.is_closed or not waiting else ungrouped_notice(campaign)


def dashboard(user: User) -> list[dict]:
    """Leaders' and the department's overview: the latest campaigns with results, charted
    by the same SVG functions the PDF reports use."""
    if not access.has_perm(user, Perm.VIEW_RESULTS):
        return []
    campaigns = (
        results_campaigns(user)
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
                **summary_charts(campaign, summary, width=520),
            }
        )
    return out


def summary_charts(
    campaign: Campaign, summary: dict, *, width: int = 640, responsive: bool = True
) -> dict:
    """A campaign's three charts, each titled by the measure its method reports (the
    dashboard and the PDF summary draw the same): the headline rate by enterprise, the
    counts (grades, or a checklist's execution points by level) and the trend."""
    names = summary["names"]
    return {
        "chart_enterprise": charts.bar_chart(
            [
                (r["organization__enterprise__name"] or "—", r["rate"] or 0)
                for r in summary["by_enterprise"]
            ],
            title=f"各企业{names['headline']}",
            unit="%",
            maximum=100,
            width=width,
            responsive=responsive,
        ),
        "chart_grades": charts.bar_chart(
            [(d["grade"], d["n"]) for d in summary["distribution"]],
            title=names["counts"],
            unit=f" {names['unit']}",
            width=width,
            responsive=responsive,
        ),
        "chart_trend": charts.line_chart(
            trend(campaign),
            title=f"历次考评{names['headline']}",
            width=width,
            responsive=responsive,
        ),
    }


def running_campaigns(user: User) -> list[dict]:
    """Leaders' and the department's view of the campaigns under way: the stage, its days
    left, and by enterprise the sheets submitted, signed and late."""
    from django.utils import timezone

    if not access.has_perm(user, Perm.VIEW_RESULTS):
        return []
    campaigns = (
        results_campaigns(user)
        .filter(status=CampaignStatus.OPEN)
        .select_related("scope", "rubric_version__rubric")
        .prefetch_related("stages")
        .order_by("-year", "-quarter", "-created_at")[:3]
    )
    out = []
    for campaign in campaigns:
        stage = current_stage(campaign)
        rows = running_progress(stage) if stage else []
        out.append(
            {
                "campaign": campaign,
                "stage": stage,
                "days_left": (stage.deadline - timezone.localdate()).days if stage else None,
                "rows": rows,
                "total": {
                    "total": sum(r.total for r in rows),
                    "submitted": sum(r.submitted for r in rows),
                    "signed": sum(r.signed for r in rows),
                    "late": sum(r.late for r in rows),
                },
            }
        )
    return out
