"""Spreadsheet import: upload → dry-run preview with row-numbered errors → confirm.

Confirming re-runs the whole file in one transaction: either every row is stored or
none is (all-or-nothing), and the result is recorded on the ImportJob and the audit trail.
A file of IMPORT_BACKGROUND_ROWS rows or more is checked and stored by the task worker
(the two tasks at the end of this module); its page shows the progress, then the preview.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.tasks import task
from django.utils import timezone

from .importers import OrganizationImport, PeopleImport, Progress
from .models import AuditAction, ImportJob, ImportKind, ImportStatus, User
from .toolkit import audit
from .toolkit.import_registry import ACTION_LABELS, REGISTRY, summarize
from .toolkit.spreadsheets import Sheet, SpreadsheetError, read_xlsx


class ImportRejected(Exception):
    """The confirmed import had errors; nothing was stored."""

    def __init__(self, report: dict):
        super().__init__("导入失败，未保存任何数据")
        self.report = report


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    importer: type[OrganizationImport | PeopleImport]
    required: tuple[str, ...]
    key_columns: tuple[str, ...]  # columns that identify a row (duplicates are refused)


SPECS = {
    ImportKind.ORGANIZATIONS: ImportSpec(
        ImportKind.ORGANIZATIONS,
        OrganizationImport,
        ("编码", "名称", "类型", "上级编码"),
        ("编码",),
    ),
    ImportKind.PEOPLE: ImportSpec(
        ImportKind.PEOPLE,
        PeopleImport,
        ("工号", "姓名", "组织编码", "角色"),
        ("工号", "组织编码", "角色"),
    ),
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _file_problems(spec: ImportSpec, sheet: Sheet) -> tuple[list[tuple[int, list]], dict]:
    """Whole-file checks (duplicates; for the tree: cycles) and the order to import in."""
    problems: dict[int, list[str]] = {}
    index = {h: i for i, h in enumerate(sheet.headers)}
    first_seen: dict[tuple, int] = {}
    for number, values in sheet.rows:
        key = tuple(_text(values[index[c]]) for c in spec.key_columns)
        if not all(key):
            continue
        if key in first_seen:
            shown = "、".join(k for k in key if k)
            problems.setdefault(number, []).append(f"与第 {first_seen[key]} 行重复（{shown}）")
        else:
            first_seen[key] = number
    if spec.kind == ImportKind.PEOPLE:
        names: dict[str, tuple[str, int]] = {}
        for number, values in sheet.rows:
            username, name = _text(values[index["工号"]]), _text(values[index["姓名"]])
            if username in names and names[username][0] != name:
                problems.setdefault(number, []).append(
                    f"工号“{username}”在第 {names[username][1]} 行的姓名是“{names[username][0]}”，"
                    f"此行却是“{name}”"
                )
            names.setdefault(username, (name, number))
        return sheet.rows, problems
    return _parents_first(sheet, index, problems), problems


def _parents_first(sheet: Sheet, index: dict, problems: dict) -> list[tuple[int, list]]:
    """Order rows so that each parent in the file comes before its children; flag cycles."""
    code_col, parent_col = index["编码"], index["上级编码"]
    rows_by_code: dict[str, tuple[int, list]] = {}
    for number, values in sheet.rows:
        rows_by_code.setdefault(_text(values[code_col]), (number, values))
    ordered: list[tuple[int, list]] = []
    placed: set[int] = set()
    state: dict[str, str] = {}

    def visit(code: str, trail: list[str]) -> None:
        if state.get(code) == "done":
            return
        if state.get(code) == "active":
            loop = [*trail[trail.index(code) :], code]
            for member in loop[:-1]:
                number = rows_by_code[member][0]
                problems.setdefault(number, []).append(f"上级关系形成循环：{' → '.join(loop)}")
            return
        state[code] = "active"
        number, values = rows_by_code[code]
        parent = _text(values[parent_col])
        if parent in rows_by_code and parent != code:
            visit(parent, [*trail, code])
        elif parent == code:
            problems.setdefault(number, []).append("上级编码不能是本组织自己")
        state[code] = "done"
        ordered.append((number, values))
        placed.add(number)

    for number, values in sheet.rows:
        code = _text(values[code_col])
        if code and rows_by_code[code][0] == number:
            visit(code, [])
    # Rows without a code, and repeated codes, keep their place at the end.
    ordered += [(n, v) for n, v in sheet.rows if n not in placed]
    return ordered


def _run(
    job: ImportJob,
    *,
    by: User,
    dry_run: bool,
    sheet: Sheet | None = None,
    progress: Progress | None = None,
) -> dict:
    if job.kind in REGISTRY:
        return REGISTRY[job.kind].run(job, by=by, dry_run=dry_run)
    spec = SPECS[ImportKind(job.kind)]
    if sheet is None:
        sheet = read_xlsx(bytes(job.content), required=spec.required)
    return _check_rows(spec, sheet, by=by, dry_run=dry_run, progress=progress)


def _check_rows(
    spec: ImportSpec, sheet: Sheet, *, by: User, dry_run: bool, progress: Progress | None = None
) -> dict:
    """Every row of ``sheet`` checked (and stored unless ``dry_run`` or any row fails):
    the report."""
    rows, problems = _file_problems(spec, sheet)
    importer = spec.importer(by=by, problems=problems)
    kwargs = {"progress": progress} if progress else {}
    report_rows = importer.run(sheet.headers, rows, dry_run=dry_run, **kwargs)
    for row in report_rows:
        row["action_label"] = ACTION_LABELS[row["action"]]
    report_rows.sort(key=lambda r: (r["row"] is None, r["row"] or 0))
    return summarize(report_rows, len(sheet.rows))


def _progress(job: ImportJob) -> Progress:
    def progress(percent: int, message: str) -> None:
        ImportJob.objects.filter(pk=job.pk).update(progress=percent, message=message[:200])

    return progress


def in_background(job: ImportJob) -> bool:
    """Large tree and people files are checked and stored by the task worker."""
    total = job.summary.get("total") or job.row_count
    return job.kind in SPECS and total >= settings.IMPORT_BACKGROUND_ROWS


def start_import(
    *, by: User, kind: str, filename: str, content: bytes, target_id: int | None = None
) -> ImportJob:
    """Store the upload and its dry-run preview. Raises SpreadsheetError for a hostile file.

    A large file's preview is left to the task worker: the job comes back PENDING.
    """
    required = REGISTRY[kind].required if kind in REGISTRY else SPECS[ImportKind(kind)].required
    sheet = read_xlsx(content, required=required)  # refuse before storing anything
    job = ImportJob.objects.create(
        kind=kind,
        created_by=by,
        filename=filename[:200],
        content=content,
        target_id=target_id,
        row_count=len(sheet.rows),
    )
    if in_background(job):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.PENDING, message="排队中")
        preview_import.enqueue(job_id=str(job.pk))
        job.refresh_from_db()
        return job
    preview(job, by=by, sheet=sheet if kind in SPECS else None)
    return job


def preview(job: ImportJob, *, by: User, sheet: Sheet | None = None) -> dict:
    """The dry run: every row checked, nothing stored; the report goes on the job."""
    report = _run(job, by=by, dry_run=True, sheet=sheet, progress=_progress(job))
    job.summary = report
    job.status = ImportStatus.PREVIEWED if report["ok"] else ImportStatus.REJECTED
    job.progress, job.message = 100, ""
    job.save(update_fields=["summary", "status", "progress", "message"])
    return report


def confirm_import(job: ImportJob, *, by: User) -> dict | None:
    """Store the previewed file now, or queue it when it is large (returns None then)."""
    if not in_background(job):
        return apply_import(job, by=by)
    queued = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.APPLYING, progress=0, message="排队中"
    )
    if not queued:
        raise SpreadsheetError("该文件已经导入过了，或正在导入。")
    apply_import_in_background.enqueue(job_id=str(job.pk), by_id=by.pk)
    return None


def apply_import(job: ImportJob, *, by: User) -> dict:
    """Import every row or none. Raises ImportRejected (nothing stored) on any error."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status == ImportStatus.APPLIED:
            raise SpreadsheetError("该文件已经导入过了。")
        with audit.acting(by, "import"):
            report = _run(job, by=by, dry_run=False, progress=_progress(job))
            if not report["ok"]:
                transaction.set_rollback(True)
        if report["ok"]:
            job.status, job.applied_at, job.summary = ImportStatus.APPLIED, timezone.now(), report
            job.progress, job.message = 100, ""
            job.save(update_fields=["status", "applied_at", "summary", "progress", "message"])
            with audit.acting(by, "import"):
                audit.record(
                    job,
                    AuditAction.IMPORT,
                    {"counts": {"label": "结果", "old": None, "new": report["counts"]}},
                )
    if not report["ok"]:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.REJECTED, summary=report)
        raise ImportRejected(report)
    return report


def check_rows(kind: str, sheet: Sheet, *, by: User, dry_run: bool) -> dict:
    """The tree's or the people's rows given as a sheet (not an uploaded file), checked
    and stored like a file's: the report."""
    return _check_rows(SPECS[ImportKind(kind)], sheet, by=by, dry_run=dry_run)


def sync_rows(check: Callable[[], dict], *, by: User, source: str, record_on: models.Model) -> dict:
    """Rows another system sends (the API) instead of a file: ``check`` checks and stores
    them as a file's rows are (``check_rows``, or a registered import's own), all or
    none, audited as an import (the rows' changes, then one entry with the counts on
    ``record_on``), and only when something changed: the same rows sent again write
    nothing at all."""
    with transaction.atomic(), audit.acting(by, source):
        report = check()
        if not report["ok"]:
            transaction.set_rollback(True)
        elif report["counts"]["new"] or report["counts"]["update"]:
            audit.record(
                record_on,
                AuditAction.IMPORT,
                {"counts": {"label": "结果", "old": None, "new": report["counts"]}},
            )
    return report


# -- on the task worker -------------------------------------------------------------------


def _failed(job_id: str, exc: Exception) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.REJECTED,
        message=f"处理失败：{type(exc).__name__}: {exc}"[:200],
        summary={"ok": False, "total": 0, "counts": {}, "rows": [], "failed": True},
    )


@task()
def preview_import(*, job_id: str) -> str:
    """The dry run of a large upload; its page shows the progress, then the preview."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(message="正在检查")
    try:
        preview(job, by=job.created_by)
    except Exception as exc:  # the uploader is told why, not left waiting
        _failed(job_id, exc)
        raise
    return job.status


@task()
def apply_import_in_background(*, job_id: str, by_id: int) -> str:
    """Store a large, previewed upload (all rows or none)."""
    job = ImportJob.objects.get(pk=job_id)
    try:
        apply_import(job, by=User.objects.get(pk=by_id))
    except ImportRejected:
        return "rejected"
    except SpreadsheetError:  # already stored by an earlier run of this task
        return "applied"
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.PREVIEWED, message=f"导入失败：{type(exc).__name__}: {exc}"[:200]
        )
        raise
    return "applied"


__all__ = [
    "ImportRejected",
    "SpreadsheetError",
    "apply_import",
    "check_rows",
    "confirm_import",
    "in_background",
    "start_import",
    "sync_rows",
]
