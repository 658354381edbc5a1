"""The audit row of a score-sheet save: old → new for every entry value, note and veto
finding it changes, per indicator code, on the sheet (its organization and stage named).

One row per save, written in one insert: what the sheet held comes from the save (read
with the sheet, see ``selectors.Held``) and what it stored is passed in, nothing is read
back, so the autosave path stays cheap; a save that changes nothing writes nothing.
"""

from decimal import Decimal

from branches.toolkit import audit
from rubrics.scoring import fmt

from ..models import ScoreSheet


def _value(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


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
