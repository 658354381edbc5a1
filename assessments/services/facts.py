"""Per-item facts: the scoring engine's result for each item of a sheet, stored.

``rubrics.scoring.score`` is the only place that works out what an item scored and lost
and whether a ▲ item is unmet; this module only words its result (with the assessor's
notes) and stores it, once when a sheet is submitted and again when it is signed. The
branch report, the rectification list and the ledger read these rows.
"""

from django.db.models import Exists, OuterRef, QuerySet

from rubrics import scoring

from ..models import ItemFact, RectificationKind, ScoreSheet, SheetEntry, SheetStatus
from ..selectors import entry_for, sheet_rules


def _kind(rules: scoring.Rules, item: scoring.Item) -> str:
    if rules.method == scoring.CHECKLIST:
        return RectificationKind.CHECKLIST
    return RectificationKind.KEY_ITEM if item.key else RectificationKind.DEDUCTION


def item_facts(
    sheet_id: int, rules: scoring.Rules, result: scoring.Result, notes: dict[str, str]
) -> list[ItemFact]:
    """One unsaved fact per scored item of ``result`` and per veto found (``notes``: the
    assessor's note by item or part code)."""
    items = {i.code: i for i in rules.items()}
    facts = []
    for position, r in enumerate(result.items):
        item = items[r.code]
        codes = [p.code for p in item.parts] or [item.code]
        note = "；".join(notes[c] for c in codes if notes.get(c))
        got, top = scoring.fmt(r.score), scoring.fmt(r.max)
        reason = f"{item.code} {item.text[:120]}：得分 {got} / {top}"
        if r.missed_periods:
            reason += "；" + scoring.period_reason(item, r.missed_periods)
        facts.append(
            ItemFact(
                sheet_id=sheet_id,
                position=position,
                code=r.code,
                kind=_kind(rules, item),
                got=r.score,
                max=r.max,
                lost=max(r.shortfall, scoring.ZERO),
                unmet=r.key and not r.met,
                note=note,
                reason=reason + (f"（{note}）" if note else ""),
            )
        )
    for code in result.vetoes:
        facts.append(
            ItemFact(
                sheet_id=sheet_id,
                position=len(facts),
                code=code,
                kind=RectificationKind.VETO,
                veto=True,
                reason=f"否决项 {code}：{items[code].text}",
            )
        )
    return facts


def _notes(sheet: ScoreSheet) -> dict[str, str]:
    return dict(SheetEntry.objects.filter(sheet=sheet).exclude(note="").values_list("code", "note"))


def store_facts(sheet: ScoreSheet, rules: scoring.Rules, result: scoring.Result) -> None:
    """Replace the sheet's facts with the engine's ``result`` (two statements)."""
    ItemFact.objects.filter(sheet=sheet).delete()
    ItemFact.objects.bulk_create(item_facts(sheet.pk, rules, result, _notes(sheet)))


def facts_of(sheet: ScoreSheet, rules: scoring.Rules) -> list[ItemFact]:
    """The sheet's facts: the stored ones while it is submitted or signed, otherwise (a
    draft's or a returned sheet's report) the engine's result on what is entered so far,
    not stored."""
    if sheet.status in (SheetStatus.SUBMITTED, SheetStatus.SIGNED):
        stored = list(ItemFact.objects.filter(sheet=sheet).order_by("position"))
        if stored:
            return stored
    try:
        result = scoring.score(rules, entry_for(sheet, rules), complete=False)
    except scoring.ScoringError:
        return []
    return item_facts(sheet.pk, rules, result, _notes(sheet))


def backfill(sheets: QuerySet[ScoreSheet]) -> int:
    """Store the facts of signed sheets that have none (signed before facts were stored):
    the engine scores each once; a sheet that has them is left alone (no write)."""
    # The ids first, unordered (the model's ordering joins the organizations to sort):
    # mostly there are none, and then nothing else is read.
    ids = list(
        sheets.exclude(Exists(ItemFact.objects.filter(sheet=OuterRef("pk"))))
        .order_by()
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    for start in range(0, len(ids), 500):  # few parameters a statement (SQLite's limit)
        chunk = ScoreSheet.objects.filter(pk__in=ids[start : start + 500])
        for sheet in chunk.select_related("campaign", "stage"):
            rules = sheet_rules(sheet)
            try:
                result = scoring.score(rules, entry_for(sheet, rules))
            except scoring.ScoringError:
                continue
            store_facts(sheet, rules, result)
    return len(ids)
