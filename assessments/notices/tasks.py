"""The notices' work on the task worker: a sweep of the events of some kinds (queued by
``announce`` when something happens) and the hourly sweep of all of them (deadlines in 3
days, overdue, 换届 due…), which queues its next run itself; each new notice's pushes to
the messengers' robots, one task per push, queued again after a failure until it is sent
or its attempts are spent."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone

from branches.toolkit.retry import retry_locked

from ..models import NoticePush, PushStatus
from .messenger import PER_MINUTE
from .selectors import due_pushes
from .services import Delivery, push, sweep

SWEEP_EVERY = timedelta(hours=1)


@task()
@retry_locked
def send_notices(*, kinds: list[str] | None = None) -> int:
    """Deliver the notices of these kinds' events (all kinds by default); how many people
    got a new notice."""
    return len(queue_pushes(sweep(kinds)).notified)


@task()
@retry_locked
def sweep_hourly() -> int:
    """Every kind's sweep, then the next one an hour later."""
    notified = len(queue_pushes(sweep()).notified)
    _queue_each(due_pushes(timezone.now()))  # those whose retry was lost (a worker's crash)
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


@task()
@retry_locked
def push_notice(*, push_id: int) -> str:
    """Send one notice to one robot (nothing if it was sent already); after a failure,
    queue the next attempt for when its back-off ends."""
    item = push(push_id)
    if item is None:
        return "skipped"
    if item.status == PushStatus.PENDING:
        _queue(item.pk, item.next_attempt_at)
    return str(item.status)


def _queue(push_id: int, when: datetime | None, *, retry: bool = True) -> None:
    """Queue one push for ``when`` (now if None). A backend that cannot defer (the tests'
    immediate one) sends first attempts at once; its retries wait for the hourly sweep."""
    if when is not None and push_notice.get_backend().supports_defer:
        push_notice.using(run_after=when).enqueue(push_id=push_id)
    elif when is None or not retry:
        push_notice.enqueue(push_id=push_id)


def _queue_each(pushes: Iterable[NoticePush]) -> None:
    """Queue pushes spaced so that no robot is sent more than PER_MINUTE a minute."""
    spacing = timedelta(seconds=60 / PER_MINUTE)
    start = timezone.now()
    position: dict[str, int] = {}
    for item in pushes:
        n = position[item.channel] = position.get(item.channel, -1) + 1
        _queue(item.pk, start + spacing * n if n else None, retry=False)


def queue_pushes(delivery: Delivery) -> Delivery:
    """Queue the pushes a delivery planned; the delivery, for its caller."""
    _queue_each(delivery.pushes)
    return delivery
