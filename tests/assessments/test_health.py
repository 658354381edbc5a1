"""/healthz for the load balancer: JSON, no login, 200 when the database answers, a worker
beat within the lease and the storage takes a write; 503 naming what failed."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import WorkerHeartbeat
from assessments.services import jobs

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_a_worker_that_beats_is_healthy_and_a_stale_one_is_named(client, settings):
    settings.TASKS = DB_TASKS
    status, body = health(client)
    assert (status, body["status"], body["failed"]) == (503, "fail", ["worker"])
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["storage"] == {"ok": True}

    jobs.beat(worker_id="w1", started_at=timezone.now())
    status, body = health(client)
    assert (status, body["status"], body["failed"]) == (200, "ok", [])
    assert body["checks"]["worker"]["ok"] and body["checks"]["worker"]["workers"] == 1
    assert body["checks"]["worker"]["last_beat_seconds_ago"] <= 2

    stale = timezone.now() - timedelta(seconds=settings.TASK_WORKER_LEASE_SECONDS + 60)
    WorkerHeartbeat.objects.update(beat_at=stale)
    status, body = health(client)
    assert (status, body["failed"]) == (503, ["worker"])
    worker = body["checks"]["worker"]
    assert not worker["ok"] and worker["workers"] == 0
    assert worker["last_beat_seconds_ago"] >= settings.TASK_WORKER_LEASE_SECONDS + 60


@pytest.mark.django_db
def test_storage_that_takes_no_write_is_named_without_its_path(client, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"
    status, body = health(client)
    assert (status, body["failed"]) == (503, ["storage"])
    assert str(tmp_path) not in json.dumps(body)  # no paths, no driver messages
    # Tasks run where they are queued (no worker needed): the worker check passes.
    assert body["checks"]["worker"] == {"ok": True, "backend": "immediate"}
