"""The worker's hourly sweep of notices: a starting worker queues it once (a second start
finds it waiting), and each run queues the next an hour later."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.notices.tasks import SWEEP_EVERY, schedule_sweep, sweep_hourly


def _db_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_starting_worker_queues_one_sweep(db, settings):
    _db_backend(settings)
    assert schedule_sweep() is True
    assert schedule_sweep() is False  # another worker starting: already waiting
    assert DBTaskResult.objects.filter(task_path=sweep_hourly.module_path).count() == 1


def test_each_sweep_queues_the_next_an_hour_later(db, settings):
    _db_backend(settings)
    before = timezone.now()
    sweep_hourly.call()
    (queued,) = DBTaskResult.objects.filter(task_path=sweep_hourly.module_path)
    assert queued.run_after >= before + SWEEP_EVERY - timedelta(seconds=1)
