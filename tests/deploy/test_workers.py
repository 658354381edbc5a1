"""Several task workers share the queue and no task runs twice: django-tasks-db claims each
task with SELECT … FOR UPDATE SKIP LOCKED, which only PostgreSQL honours across processes."""

import os
import subprocess
import sys
from collections import Counter

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from tests.deploy.postgres import url_for
from tests.deploy.worker_tasks import mark_run

TASKS = 40


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_queued_task_exactly_once(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL is not PostgreSQL: SQLite workers serialize on one lock")
    log = tmp_path / "runs.txt"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for number in range(TASKS):
        mark_run.enqueue(number=number, path=str(log))
    assert DBTaskResult.objects.ready().count() == TASKS

    env = {
        **os.environ,
        "DATABASE_URL": url_for(connection.settings_dict["NAME"]),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--batch",
                "--no-startup-delay",
                "--no-reload",
                "--worker-id",
                f"worker{n}",
                "--verbosity",
                "0",
            ],
            cwd=settings.BASE_DIR,
            env=env,
        )
        for n in (1, 2)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0

    runs = Counter(int(line.split()[0]) for line in log.read_text().splitlines())
    assert runs == Counter(range(TASKS)), "every task ran exactly once"
    # A starting worker also queues the hourly notices sweep for later: only the test's tasks.
    results = list(DBTaskResult.objects.filter(task_path__endswith="mark_run"))
    assert len(results) == TASKS
    assert {r.status for r in results} == {"SUCCESSFUL"}
    assert all(len(r.worker_ids) == 1 for r in results)
    share = Counter(r.worker_ids[0] for r in results)
    print(f"tasks per worker: {dict(share)}")
