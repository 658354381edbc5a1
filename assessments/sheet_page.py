"""The score sheet's rows as HTML, built in Python from ``pages.sheet_rows``.

A sheet has up to ~60 lines, each with an input, a note and the earlier stages' cells;
rendered through the template engine, the per-line tags, filters and URL lookups cost
several times the rest of the page (as `make bench` measured). Here each line is one f-string with
every value escaped. One markup serves both layouts: a table on a wide screen, a card
per indicator on a phone (``static/css/app.css``, ``static/js/sheet.js``).
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from rubrics import scoring

from .pages import Row


@dataclass(frozen=True)
class _Ctx:
    editable: bool
    checklist: bool
    levels: tuple[str, ...]
    evidence_url: str  # with "/0/" where the evidence id goes


def _e(value) -> str:
    return escape(str(value), quote=True)


def _files(ctx: _Ctx, files, css: str = "small me-2", title: str = "") -> str:
    title = f' title="{_e(title)}"' if title else ""
    return "".join(
        f'<a class="{css}" href="{ctx.evidence_url.replace("/0/", f"/{ev.pk}/")}"{title}>'
        f'<i class="bi bi-paperclip"></i>{_e(ev.original_name)}</a>'
        for ev in files
    )


def _text_cell(ctx: _Ctx, row: Row) -> str:
    out = ['<td class="c-text small">']
    if row.is_part:
        out.append('<span class="ps-3"></span>')
    if row.key:
        out.append('<span class="text-danger fw-bold" title="▲重点项">▲</span> ')
    out.append(_e(row.text))
    if row.kind == scoring.VETO:
        out.append(' <span class="badge text-bg-danger">否决项</span>')
    if row.guidance:
        out.append(
            '<details class="guidance"><summary class="text-muted">执行标准 / 佐证要求</summary>'
            f'<div class="text-muted">{_e(row.guidance)}</div></details>'
        )
    if row.evidence:
        out.append(f"<div>{_files(ctx, row.evidence)}</div>")
    out.append("</td>")
    return "".join(out)


def _other_cells(ctx: _Ctx, row: Row) -> str:
    out = []
    for o in row.others:
        who = o.sheet.assessor.name or o.sheet.assessor.username
        css = "small table-warning fw-bold" if o.differs else "small"
        note = (
            f'<div class="earlier-note text-muted fw-normal" title="{_e(o.sheet.stage.name)}'
            f'的扣分说明">{_e(o.note)}</div>'
            if o.note
            else ""
        )
        title = f"{o.sheet.stage.name}的佐证材料"
        files = "".join(
            f'<div class="fw-normal">{_files(ctx, [ev], "earlier-evidence", title)}</div>'
            for ev in o.evidence
        )
        out.append(
            f'<td data-label="{_e(o.sheet.stage.name)}（{_e(who)}）" class="{css}" '
            f'data-compare="{_e(row.code)}" data-value="{_e(o.shown)}">'
            f"{_e(o.shown)}{note}{files}</td>"
        )
    return "".join(out)


def _quick_values(row: Row) -> list[tuple[str, str]]:
    """The buttons under a score box on a phone: 0, half (when on a step) and full."""
    try:
        top, step = Decimal(row.points), Decimal(row.step or "0")
    except InvalidOperation:
        return []
    values = [("0", "0")]
    half = top / 2
    if step and (half % step == 0) and half not in (0, top):
        values.append(("一半", scoring.fmt(half)))
    values.append(("满分", scoring.fmt(top)))
    return values


def _value_cell(ctx: _Ctx, row: Row) -> str:
    code = _e(row.code)
    label = "评定" if ctx.checklist else "得分"
    if not ctx.editable:
        return (
            f'<td class="c-value" data-label="{label}"><strong>{_e(row.value) or "—"}</strong></td>'
        )
    if ctx.checklist:
        options = "".join(
            f"<option{' selected' if row.value == level else ''}>{_e(level)}</option>"
            for level in ctx.levels
        )
        field = (
            f'<select class="form-select form-select-sm score-input" name="v_{code}" '
            f'aria-label="{code} 评定"><option value=""></option>{options}</select>'
        )
        quick = [(level, level) for level in ctx.levels]
        hint = ""
    else:
        rng = f"0 至 {_e(row.points)} 分，步长 {_e(row.step)}"
        field = (
            f'<input class="form-control form-control-sm score-input" type="text" '
            f'inputmode="decimal" autocomplete="off" name="v_{code}" value="{_e(row.value)}" '
            f'aria-label="{code} 得分" placeholder="0–{_e(row.points)}" title="{rng}" '
            f'data-max="{_e(row.points)}">'
        )
        quick = _quick_values(row)
        hint = f'<div class="score-range text-muted">{rng}</div>'
    buttons = "".join(
        f'<button type="button" class="btn btn-outline-secondary" data-set="v_{code}" '
        f'data-value="{_e(value)}">{_e(text)}</button>'
        for text, value in quick
    )
    return (
        f'<td class="c-value" data-label="{label}">{field}{hint}'
        f'<div class="quick btn-group btn-group-sm" role="group" aria-label="{code} 快捷{label}">'
        f"{buttons}</div></td>"
    )


def _note_cell(ctx: _Ctx, row: Row) -> str:
    code = _e(row.code)
    if not ctx.editable:
        note = _e(row.note)
        return f'<td class="c-note" data-label="扣分说明"><span class="small">{note}</span></td>'
    camera = (
        f'<button type="button" class="btn btn-sm btn-outline-secondary camera mt-1" '
        f'data-camera="{code}"><i class="bi bi-camera"></i> 拍照 / 上传佐证</button>'
    )
    return (
        f'<td class="c-note" data-label="扣分说明"><input class="form-control form-control-sm" '
        f'type="text" name="n_{code}" value="{_e(row.note)}" aria-label="{code} 扣分说明" '
        f'maxlength="500">{camera}</td>'
    )


def _veto_cells(ctx: _Ctx, row: Row) -> str:
    code = _e(row.code)
    found = row.veto_facts is not None
    facts = _e(row.veto_facts or "")
    if not ctx.editable:
        shown = '<strong class="text-danger">存在</strong>' if found else "否"
        return (
            f'<td class="c-value" data-label="否决项">{shown}</td>'
            f'<td class="c-note" data-label="事实依据"><span class="small">{facts}</span></td>'
        )
    return (
        f'<td class="c-value" data-label="否决项"><div class="form-check">'
        f'<input class="form-check-input" type="checkbox" name="veto_{code}" id="veto_{code}"'
        f'{" checked" if found else ""}><label class="form-check-label small" '
        f'for="veto_{code}">存在</label></div></td>'
        f'<td class="c-note" data-label="事实依据"><textarea class="form-control form-control-sm" '
        f'rows="1" name="facts_{code}" aria-label="{code} 事实依据" '
        f'placeholder="认定时必须写明事实依据">{facts}</textarea></td>'
    )


def _row(ctx: _Ctx, row: Row) -> str:
    css = ["sheet-row"]
    if row.kind == scoring.VETO:
        css.append("table-danger")
    if row.has_parts:
        css.append("table-light parent-row")
    if row.key:
        css.append("key-row")
    head = (
        f'<tr class="{" ".join(css)}" id="row-{_e(row.code)}">'
        f'<td class="c-code small">{_e(row.code)}</td>{_text_cell(ctx, row)}'
        f'<td class="c-points text-end small">{_e(row.points)}</td>{_other_cells(ctx, row)}'
    )
    if row.has_parts:
        tail = (
            f'<td colspan="2" class="c-parts small text-muted">按分项打分（合计不超过 '
            f"{_e(row.points)} 分）</td>"
        )
    elif row.kind == scoring.VETO:
        tail = _veto_cells(ctx, row)
    else:
        tail = _value_cell(ctx, row) + _note_cell(ctx, row)
    return f"{head}{tail}</tr>"


def rows_html(
    sections: list[tuple[scoring.Section, list[Row]]],
    *,
    editable: bool,
    checklist: bool,
    levels: tuple[str, ...],
) -> list[tuple[scoring.Section, SafeString]]:
    """Each section with the HTML of its rows (the ``<tbody>`` content)."""
    ctx = _Ctx(
        editable=editable,
        checklist=checklist,
        levels=levels,
        evidence_url=reverse("evidence_download", args=[0]),
    )
    return [
        (section, mark_safe("".join(_row(ctx, row) for row in rows))) for section, rows in sections
    ]
