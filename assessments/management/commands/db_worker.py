"""`db_worker` that survives transient database errors.

django-tasks-db's worker retries a locked database only while claiming a task; a lock
(SQLite "database is locked") or a dropped connection anywhere else in its loop ends the
process, and background reports stop until someone restarts it. This command is the same
worker (same options; it overrides the upstream command because `assessments` comes
before `django_tasks_db` in INSTALLED_APPS) whose loop logs such an error, waits and
carries on. A supervisor restarting the process remains the last line of defence."""

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker as upstream

from assessments.notices.tasks import schedule_sweep

logger = logging.getLogger("django_tasks_db")

PAUSE_SECONDS = 1.0


class ResilientWorker(upstream.Worker):
    def run(self) -> None:
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
    help = upstream.Command.help + " Survives transient database errors."

    def handle(self, **options) -> None:
        # The upstream handle() builds `Worker(...)` from its module: point it at ours.
        upstream.Worker = ResilientWorker
        super().handle(**options)
