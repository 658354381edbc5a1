"""Background work of the branches app: large spreadsheet imports (django.tasks)."""

from django.tasks import task

from .models import ImportJob, ImportStatus, User


def _failed(job_id: str, exc: Exception) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.REJECTED,
        message=f"处理失败：{type(exc).__name__}: {exc}"[:200],
        summary={"ok": False, "total": 0, "counts": {}, "rows": [], "failed": True},
    )


@task()
def preview_import(*, job_id: str) -> str:
    """The dry run of a large upload; its page shows the progress, then the preview."""
    from . import importing

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(message="正在检查")
    try:
        importing.preview(job, by=job.created_by)
    except Exception as exc:  # the uploader is told why, not left waiting
        _failed(job_id, exc)
        raise
    return job.status


@task()
def apply_import_in_background(*, job_id: str, by_id: int) -> str:
    """Store a large, previewed upload (all rows or none)."""
    from . import importing

    job = ImportJob.objects.get(pk=job_id)
    try:
        importing.apply_import(job, by=User.objects.get(pk=by_id))
    except importing.ImportRejected:
        return "rejected"
    except importing.SpreadsheetError:  # already stored by an earlier run of this task
        return "applied"
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.PREVIEWED, message=f"导入失败：{type(exc).__name__}: {exc}"[:200]
        )
        raise
    return "applied"
