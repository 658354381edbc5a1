"""The checks behind /healthz: the database answers, a task worker beat recently, the file
storage takes a write. Each says only ok or not and a short reason, never a secret (no
address, path, user name or error text from a driver)."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat


@dataclass
class Check:
    ok: bool
    detail: dict = field(default_factory=dict)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check(False, {"error": type(exc).__name__})
    return Check(True)


def uses_worker() -> bool:
    """Whether tasks wait for a worker (the database backend) or run where enqueued."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return backend.startswith("django_tasks_db.")


def check_worker(*, database_ok: bool) -> Check:
    if not uses_worker():
        return Check(True, {"backend": "immediate"})
    if not database_ok:
        return Check(False, {"error": "database unavailable"})
    lease = settings.TASK_WORKER_LEASE_SECONDS
    try:
        latest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True)
        last = latest.first()
        alive = WorkerHeartbeat.objects.filter(
            beat_at__gte=timezone.now() - timedelta(seconds=lease)
        ).count()
    except Exception as exc:
        return Check(False, {"error": type(exc).__name__})
    if last is None:
        return Check(False, {"error": "no worker has ever beaten", "lease_seconds": lease})
    age = max(0, round((timezone.now() - last).total_seconds()))
    detail = {"last_beat_seconds_ago": age, "lease_seconds": lease, "workers": alive}
    return Check(age <= lease, detail)


def check_storage() -> Check:
    name = f"healthz/{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        default_storage.delete(saved)
    except Exception as exc:
        return Check(False, {"error": type(exc).__name__})
    return Check(True)


def report() -> tuple[bool, dict]:
    """(everything fine, the JSON body)."""
    database = check_database()
    checks = {
        "database": database,
        "worker": check_worker(database_ok=database.ok),
        "storage": check_storage(),
    }
    failed = [name for name, check in checks.items() if not check.ok]
    body = {
        "status": "fail" if failed else "ok",
        "failed": failed,
        "checks": {name: {"ok": c.ok, **c.detail} for name, c in checks.items()},
    }
    return not failed, body
