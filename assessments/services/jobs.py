"""Background jobs that survive a crashed worker: heartbeats, the reclaiming of orphaned
tasks, and retrying a failed report.

django-tasks-db marks a task RUNNING when a worker claims it and only the same worker ever
marks it finished; a worker that dies (SIGKILL, out of memory, host lost) leaves it RUNNING
for good. Every worker therefore writes a heartbeat row (`WorkerHeartbeat`) every
TASK_WORKER_HEARTBEAT_SECONDS and, as often, looks for RUNNING tasks whose worker has not
beaten for TASK_WORKER_LEASE_SECONDS: such a task is put back in the queue once (the job
it serves says so), and when it is orphaned a second time it is marked failed with a
Chinese message on the job, whose page then offers 重试."""

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from branches.models import ImportJob, ImportStatus, User
from branches.toolkit import audit

from ..models import Campaign, JobStatus, ReportJob, ReportKind, WorkerHeartbeat
from .errors import AssessmentError, acting

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # the first run and one retry after its worker died
STALE_HEARTBEATS = timedelta(days=1)  # rows of workers gone this long are dropped

LOST_CLASS_PATH = "assessments.services.jobs.WorkerLost"
REPORT_RETRYING = "后台处理进程意外中断，已重新排队，将自动重试一次"
REPORT_LOST = "生成中断：处理这份报告的后台进程意外退出（已自动重试一次仍未完成），请点击“重试”"


class WorkerLost(Exception):
    """The worker running the task stopped beating (recorded on the task's row)."""


def lease() -> timedelta:
    return timedelta(seconds=settings.TASK_WORKER_LEASE_SECONDS)


# -- heartbeats -----------------------------------------------------------------------------


def beat(*, worker_id: str, started_at: datetime) -> None:
    """Record that the worker ``worker_id`` (this process) is alive now. Not audited: a
    heartbeat is the process's pulse, not a change anyone made."""
    now = timezone.now()
    # One UPDATE per beat; the row is created at the first.
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id[:64]).update(beat_at=now):
        # A worker starting: rows of workers gone for long are dropped.
        WorkerHeartbeat.objects.filter(beat_at__lt=now - STALE_HEARTBEATS).delete()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id[:64],
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": started_at,
                "beat_at": now,
            },
        )


def forget_worker(*, worker_id: str) -> None:
    """A worker that stops on purpose takes its heartbeat with it."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id[:64]).delete()


# -- what an orphaned task means to the job it serves ---------------------------------------


@dataclass(frozen=True)
class LostPolicy:
    retry: bool  # safe to run again (all or nothing, or idempotent)
    on_retry: Callable[[dict], None] | None = None
    on_lost: Callable[[dict], None] | None = None


def _report(kwargs: dict) -> ReportJob | None:
    job_id = kwargs.get("job_id")
    return None if job_id is None else ReportJob.objects.filter(pk=job_id).first()


def _report_retrying(kwargs: dict) -> None:
    if (job := _report(kwargs)) and job.is_pending:
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.QUEUED, progress=0, message=REPORT_RETRYING
        )
        audit.record(job, "update", {"status": _change("状态", job.get_status_display(), "排队中")})


def _report_lost(kwargs: dict) -> None:
    if (job := _report(kwargs)) and job.is_pending:
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, message=REPORT_LOST, finished_at=timezone.now()
        )
        audit.record(job, "update", {"status": _change("状态", job.get_status_display(), "失败")})


def _import_lost(kwargs: dict) -> None:
    job_id = kwargs.get("job_id")
    job = None if job_id is None else ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    if job.status == ImportStatus.PENDING:
        new = ImportStatus.REJECTED
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PENDING).update(
            status=new,
            message="处理中断：后台进程意外退出（已自动重试一次），请重新上传文件",
            summary={"ok": False, "total": 0, "counts": {}, "rows": [], "failed": True},
        )
    elif job.status == ImportStatus.APPLYING:
        # Stored all rows or none: the preview stands and may be confirmed again.
        new = ImportStatus.PREVIEWED
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.APPLYING).update(
            status=new,
            message="导入中断：后台进程意外退出（已自动重试一次），请重新确认导入",
        )
    else:
        return
    audit.record(job, "update", {"status": _change("状态", job.get_status_display(), new.label)})


def _change(label: str, old: str, new: str) -> dict:
    return {"label": label, "old": old, "new": new}


POLICIES: dict[str, LostPolicy] = {
    "assessments.tasks.render_report": LostPolicy(
        retry=True, on_retry=_report_retrying, on_lost=_report_lost
    ),
    # Reminder emails already sent would go out twice: not run again.
    "assessments.tasks.send_reminders": LostPolicy(retry=False),
    "branches.importing.preview_import": LostPolicy(retry=True, on_lost=_import_lost),
    "branches.importing.apply_import_in_background": LostPolicy(retry=True, on_lost=_import_lost),
}
DEFAULT_POLICY = LostPolicy(retry=True)


def reclaim_orphaned_tasks(*, now: datetime | None = None) -> dict[str, str]:
    """Put back in the queue (once) or fail every RUNNING task whose worker stopped
    beating; return {task id: "retried" | "failed"}. Safe to run from several workers at
    once: the rows are locked (skipping those another worker holds) and re-checked."""
    now = now or timezone.now()
    cutoff = now - lease()
    outcome: dict[str, str] = {}
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)

    def orphaned(task: DBTaskResult, alive: set[str]) -> bool:
        return not (task.worker_ids and task.worker_ids[-1] in alive)

    def beating() -> set[str]:
        return set(
            WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True)
        )

    # Looked at without a lock first: this runs at every heartbeat of every worker, and
    # on SQLite a transaction here would take the write lock each time.
    candidates = list(running.only("worker_ids"))
    if not candidates:
        return outcome
    alive = beating()
    if not any(orphaned(task, alive) for task in candidates):
        return outcome
    with transaction.atomic(), audit.acting(None, "system"):
        alive = beating()
        orphans = running.select_for_update(skip_locked=True).order_by("started_at")
        for task in orphans:
            if not orphaned(task, alive):
                continue
            policy = POLICIES.get(task.task_path, DEFAULT_POLICY)
            kwargs = (task.args_kwargs or {}).get("kwargs") or {}
            if policy.retry and len(task.worker_ids) < MAX_ATTEMPTS:
                DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None
                )
                if policy.on_retry:
                    policy.on_retry(kwargs)
                outcome[str(task.pk)] = "retried"
            else:
                DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path=LOST_CLASS_PATH,
                    traceback=(
                        f"WorkerLost: worker {task.worker_ids[-1] if task.worker_ids else '?'} "
                        f"stopped beating while running this task "
                        f"(attempt {len(task.worker_ids)} of {MAX_ATTEMPTS})"
                    ),
                )
                if policy.on_lost:
                    policy.on_lost(kwargs)
                outcome[str(task.pk)] = "failed"
            logger.warning(
                "Task %s (%s) lost its worker %s: %s",
                task.pk,
                task.task_path,
                task.worker_ids,
                outcome[str(task.pk)],
            )
    return outcome


# -- asking for a report, retrying a failed one ----------------------------------------------


def request_report(campaign: Campaign, *, by: User, kind: str) -> ReportJob:
    """Queue a campaign report (summary, evaluation, every branch's as a zip) to be
    rendered in the background; the job is the requester's to watch and download."""
    if kind not in ReportKind.values:
        raise AssessmentError("没有这种报告。")
    from ..tasks import render_report

    job = ReportJob.objects.create(kind=kind, campaign=campaign, requested_by=by)
    render_report.enqueue(job_id=str(job.pk))
    return job


def retry_report(job: ReportJob, *, by: User) -> ReportJob:
    """Queue a failed report again (its requester asks, from the job's page)."""
    with transaction.atomic(), acting(by):
        updated = ReportJob.objects.filter(
            pk=job.pk, requested_by=by, status=JobStatus.FAILED
        ).update(status=JobStatus.QUEUED, progress=0, message="", finished_at=None, file="")
        if not updated:
            raise AssessmentError("只有生成失败的报告可以重试。")
        job.refresh_from_db()
        audit.record(job, "update", {"status": _change("状态", "失败", "排队中（重试）")})
    from ..tasks import render_report

    render_report.enqueue(job_id=str(job.pk))
    return job
