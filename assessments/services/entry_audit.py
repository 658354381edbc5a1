"""The audit row of a score-sheet save: old → new for every entry value, note and veto
finding it changes, per indicator code, on the sheet (its organization and stage named).

One row per save, read in at most three small queries before the save and written in
one insert (what the save stored is passed in, not read back), so the autosave path
stays cheap; a save that changes nothing writes nothing.
"""

from decimal import Decimal

from branches.toolkit import audit
from rubrics.scoring import fmt

from ..models import ScoreSheet, SheetEntry, VetoFinding


def _value(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def snapshot(sheet: ScoreSheet, codes: list[str], *, vetoes: bool, note: bool) -> dict:
    """What the sheet holds now for the codes a save is about to write."""
    before: dict = {
        "entries": {
            code: (value, text)
            for code, value, text in SheetEntry.objects.filter(
                sheet=sheet, code__in=codes
            ).values_list("code", "value", "note")
        }
    }
    if vetoes:
        before["vetoes"] = dict(
            VetoFinding.objects.filter(sheet=sheet).values_list("code", "facts")
        )
    if note:
        # order_by(): the model's default ordering would join stage and organization.
        before["note"] = (
            ScoreSheet.objects.filter(pk=sheet.pk).order_by().values_list("note", flat=True).first()
        )
    return before


def record(
    sheet: ScoreSheet,
    before: dict,
    *,
    entries: dict[str, tuple[Decimal | None, str] | None],
    vetoes: dict[str, str] | None,
    note: str | None,
) -> None:
    """Compare with what the save stored (``entries``: code → (value, note), None when
    removed; ``vetoes``: the findings now held, None when the save left them alone) and
    write one audit row if anything changed. No query but the insert."""
    changes: dict[str, dict] = {}
    for code, entry in entries.items():
        old_value, old_note = before["entries"].get(code, (None, ""))
        value, new_note = entry or (None, "")
        if old_value != value:
            changes[code] = {
                "label": f"{code} 得分",
                "old": _value(old_value),
                "new": _value(value),
            }
        if (old_note or "") != new_note:
            changes[f"{code} 说明"] = {
                "label": f"{code} 扣分说明",
                "old": old_note or None,
                "new": new_note or None,
            }
    if vetoes is not None:
        for code in sorted(set(before["vetoes"]) | set(vetoes)):
            old, new = before["vetoes"].get(code), vetoes.get(code)
            if old != new:
                changes[f"{code} 否决"] = {
                    "label": f"{code} 否决项（事实依据）",
                    "old": old,
                    "new": new,
                }
    if note is not None and (before.get("note") or "") != note:
        changes["note"] = {
            "label": "总体意见",
            "old": before.get("note") or None,
            "new": note or None,
        }
    if changes:
        audit.record(sheet, "update", changes)
