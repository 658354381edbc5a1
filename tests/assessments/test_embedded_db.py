"""The embedded default (SQLite) under load: no transaction around a long render, a busy
timeout, a session written at most once a minute, a task worker that survives a locked
database. `python -m tests.bench load` measures it."""

import time
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import OperationalError, connection
from django.urls import reverse

from assessments import reports
from assessments.models import ReportJob
from branches.toolkit import retry
from branches.toolkit.middleware import IDLE_KEY
from tests.assessments.conftest import self_sheet


def test_sqlite_waits_for_the_lock_instead_of_failing():
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert settings.DATABASES["default"]["OPTIONS"]["timeout"] >= 5
    else:
        pytest.skip("SQLite settings only (DATABASE_URL points elsewhere)")


def test_pdf_of_a_draft_is_rendered_outside_any_transaction(campaign, tree, secretary_a, client):
    sheet = self_sheet(campaign, tree.a)
    seen = []

    def render(sheet):
        seen.append(len(connection.atomic_blocks))
        return b"%PDF-1.7"

    client.force_login(secretary_a)
    with mock.patch.object(reports, "render_branch", render):
        response = client.get(reverse("sheet_report", args=[sheet.pk]))
    assert response.status_code == 200
    # pytest-django's test case wraps the test in its own transaction; the view adds none.
    assert seen == [len(connection.atomic_blocks)]


def test_session_is_written_at_most_once_a_minute(client, secretary_a):
    client.force_login(secretary_a)
    client.get(reverse("home"))
    key = client.session.session_key
    stamp = client.session[IDLE_KEY]
    expiry = Session.objects.get(session_key=key).expire_date
    with mock.patch("time.time", return_value=stamp + 30):
        client.get(reverse("home"))
    assert client.session[IDLE_KEY] == stamp
    assert Session.objects.get(session_key=key).expire_date == expiry  # not saved again
    with mock.patch("time.time", return_value=stamp + 61):
        client.get(reverse("home"))
    assert client.session[IDLE_KEY] == stamp + 61


def test_a_task_retries_a_locked_database(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    calls = []

    @retry.retry_locked
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return "ok"

    assert flaky() == "ok" and len(calls) == 3

    @retry.retry_locked
    def broken():
        raise OperationalError("no such table: x")

    with pytest.raises(OperationalError):
        broken()


@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_a_locked_database(campaign, leader, client, settings, monkeypatch):
    """The upstream worker died on "database is locked" outside its claim; ours waits and
    goes on, then runs the queued job."""
    from django_tasks_db.models import DBTaskResult

    from assessments.management.commands import db_worker

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    monkeypatch.setattr(db_worker, "PAUSE_SECONDS", 0.01)
    client.force_login(leader)
    client.post(reverse("report_start", args=[campaign.pk, "summary"]))
    real_ready = DBTaskResult.objects.ready
    failures = iter([True, True])

    def ready(*args, **kwargs):
        if next(failures, False):
            raise OperationalError("database is locked")
        return real_ready(*args, **kwargs)

    monkeypatch.setattr(DBTaskResult.objects, "ready", ready)
    with mock.patch.object(reports, "render_pdf", lambda *a, **k: b"%PDF-1.7"):
        started = time.monotonic()
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert time.monotonic() - started < 30
    assert ReportJob.objects.get().status == "done"
