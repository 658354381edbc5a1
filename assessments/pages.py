"""Page shaping: the sheet page's rows, the campaign page's draw problems and the home page's
charts, built from what the selectors read (and, for draw problems, what a service checks)."""

from collections import defaultdict
from dataclasses import dataclass, field

from branches import access
from branches.access import Perm
from branches.models import User
from rubrics import scoring

from . import charts
from .models import Campaign, ScoreSheet, Stage
from .selectors import campaign_summary, sheet_version, trend, visible_campaigns
from .services import cross_review_problem


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


def draw_problems(campaign: Campaign, stages: list[Stage]) -> list[tuple[Stage, str]]:
    """Cross-review stages not drawn yet whose plan cannot be drawn, with the reason (shown
    on the campaign page while the plan can still be changed)."""
    if campaign.status == "closed":
        return []
    return [
        (stage, problem)
        for stage in stages
        if stage.assessor == "cross_group"
        and not stage.draws.all()
        and (problem := cross_review_problem(campaign, stage))
    ]


def dashboard(user: User) -> list[dict]:
    """Leaders' and the department's overview: the latest campaigns with results, charted
    by the same SVG functions the PDF reports use."""
    if not access.has_perm(user, Perm.VIEW_RESULTS):
        return []
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
