"""`db_worker` that survives transient database errors and beats a heartbeat.

django-tasks-db's worker retries a locked database only while claiming a task; a lock
(SQLite "database is locked") or a dropped connection anywhere else in its loop ends the
process, and background reports stop until someone restarts it. This command is the same
worker (same options; it overrides the upstream command because `assessments` comes
before `django_tasks_db` in INSTALLED_APPS) whose loop logs such an error, waits and
carries on. A supervisor restarting the process remains the last line of defence.

Beside its loop a thread writes the worker's heartbeat every TASK_WORKER_HEARTBEAT_SECONDS
(also while a long task runs) and reclaims tasks whose worker stopped beating
(assessments/services/jobs.py): a task orphaned by a killed worker runs once more, or is
marked failed, instead of staying "running" for ever."""

import logging
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections
from django.utils import timezone
from django_tasks_db.management.commands import db_worker as upstream

from assessments.notices.tasks import schedule_sweep
from assessments.services import jobs

logger = logging.getLogger("django_tasks_db")

PAUSE_SECONDS = 1.0


class Heartbeat(threading.Thread):
    """Beats for the worker and reclaims orphaned tasks until stopped."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopped = threading.Event()

    def tick(self) -> None:
        jobs.beat(worker_id=self.worker_id, started_at=self.started_at)
        jobs.reclaim_orphaned_tasks()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.tick()
            except Exception as exc:  # a missed beat is retried at the next one
                logger.warning("Worker %s: heartbeat failed (%s)", self.worker_id, exc)
                connection.close()
            self.stopped.wait(settings.TASK_WORKER_HEARTBEAT_SECONDS)
        connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=settings.TASK_WORKER_HEARTBEAT_SECONDS + 5)
        try:
            jobs.forget_worker(worker_id=self.worker_id)
        except Exception as exc:  # the row ages out; the lease still applies
            logger.warning("Worker %s: could not remove its heartbeat (%s)", self.worker_id, exc)


class ResilientWorker(upstream.Worker):
    def run(self) -> None:
        heartbeat = Heartbeat(self.worker_id)
        try:
            # The first beat before the first claim: a claimed task always has a beating
            # worker until that worker dies.
            heartbeat.tick()
        except (OperationalError, InterfaceError) as exc:
            logger.warning("Worker %s: first heartbeat failed (%s)", self.worker_id, exc)
            connections.close_all()
        heartbeat.start()
        try:
            self._run_resiliently()
        finally:
            heartbeat.stop()

    def _run_resiliently(self) -> None:
        # The hourly sweep of notices (deadlines in 3 days, overdue, 换届 due…) queues its
        # next run itself; a starting worker restarts the chain if nothing is waiting.
        try:
            schedule_sweep()
        except (OperationalError, InterfaceError) as exc:
            logger.warning("Worker %s: could not queue the notices sweep (%s)", self.worker_id, exc)
        failures = 0
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as exc:
                if not self.running:
                    raise
                failures += 1
                logger.warning(
                    "Worker %s: transient database error (%s), retrying (%d)",
                    self.worker_id,
                    exc,
                    failures,
                )
                connections.close_all()
                time.sleep(min(PAUSE_SECONDS * failures, 10))


class Command(upstream.Command):
    help = upstream.Command.help + " Survives transient database errors; beats a heartbeat."

    def handle(self, **options) -> None:
        # The upstream handle() builds `Worker(...)` from its module: point it at ours (a
        # class replaced in its module, which the type checker does not allow).
        upstream.Worker = ResilientWorker  # type: ignore[misc]
        super().handle(**options)
