"""The notices' work on the task worker: a sweep of the events of some kinds (queued by
``announce`` when something happens) and the hourly sweep of all of them (deadlines in 3
days, overdue, 换届 due…), which queues its next run itself."""

from datetime import timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone

from branches.toolkit.retry import retry_locked

from .services import sweep

SWEEP_EVERY = timedelta(hours=1)


@task()
@retry_locked
def send_notices(*, kinds: list[str] | None = None) -> int:
    """Deliver the notices of these kinds' events (all kinds by default); how many people
    got a new notice."""
    return len(sweep(kinds).notified)


@task()
@retry_locked
def sweep_hourly() -> int:
    """Every kind's sweep, then the next one an hour later."""
    notified = len(sweep().notified)
    sweep_hourly.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()
    return notified


def announce(*kinds: str) -> None:
    """Queue a sweep of these kinds on the task worker (the event is already stored)."""
    send_notices.enqueue(kinds=[str(k) for k in kinds])


def schedule_sweep() -> bool:
    """Queue the hourly sweep unless one is already waiting (the worker calls this when it
    starts, so the chain survives restarts); True if queued."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=sweep_hourly.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    )
    if waiting.exists():
        return False
    sweep_hourly.enqueue()
    return True
