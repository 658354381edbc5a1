"""The import registry: apps that import spreadsheets of their own (a rubric draft, …)
register their kind here, from their AppConfig.ready(), and the shared upload → dry-run
preview → confirm flow (branches/importing.py) runs them without knowing them."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Registration:
    kind: str
    label: str  # as people read it: 考评标准草稿
    run: Callable[..., dict]  # run(job, *, by, dry_run) -> report (see summarize)
    required: tuple[str, ...]  # the columns a file must have
    perm: str  # the permission needed to upload, preview and confirm
    done: Callable[..., str]  # done(job) -> the URL to show after a confirmed import


REGISTRY: dict[str, Registration] = {}

ACTION_LABELS = {"new": "新增", "update": "更新", "skip": "无变化", "error": "错误"}


def row(number: int | None, action: str, label: str, errors: list[str]) -> dict:
    """One line of an import report: its row number (None for the whole file), what it does
    (new, update, skip, error), what it is, and why it is refused."""
    return {
        "row": number,
        "action": action,
        "action_label": ACTION_LABELS[action],
        "label": label,
        "errors": errors,
    }


def register(
    kind: str,
    label: str,
    run: Callable[..., dict],
    *,
    required: tuple[str, ...],
    perm: str,
    done: Callable[..., str],
) -> None:
    REGISTRY[kind] = Registration(kind, label, run, required, perm, done)


def summarize(rows: list[dict], total: int) -> dict:
    """An import report: whether it can be stored, row counts by action, and the rows."""
    counts = Counter(r["action"] for r in rows)
    return {
        "ok": counts["error"] == 0,
        "total": total,
        "counts": {k: counts.get(k, 0) for k in ("new", "update", "skip", "error")},
        "rows": rows,
    }
