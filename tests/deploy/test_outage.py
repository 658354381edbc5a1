"""A database that is down: the server answers 503 "服务暂时不可用，请稍后重试" (not the
500 "系统错误") and /healthz names the database. gunicorn with the shipped config serves
the app against a database that cannot be reached: a PostgreSQL address where nothing
listens, or an SQLite file in a directory that does not exist."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.test_serve import free_port


def fetch(url: str, headers: dict | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_a_database_that_is_down_gives_503_pages_and_an_unhealthy_health_check(database, tmp_path):
    port = free_port()
    unreachable = {
        "postgresql": f"postgresql://kaoping@127.0.0.1:{free_port()}/kaoping",
        "sqlite": f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}",
    }[database]
    env = {
        **os.environ,
        "DJANGO_VAR_DIR": str(tmp_path),
        "DATABASE_URL": unreachable,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--config", "config/deploy/gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body, _ = fetch(f"{base}/accounts/login/")  # needs no database
                break
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
        assert status == 200 and "登录" in body

        # A signed-in visitor: the session is read from the database, which is down.
        status, body, headers = fetch(f"{base}/", {"Cookie": "sessionid=" + "a1b2c3d4" * 4})
        assert status == 503, body
        assert "服务暂时不可用，请稍后重试" in body and "系统错误" not in body
        assert headers["Retry-After"] == "30"

        status, body, _ = fetch(f"{base}/healthz")
        report = json.loads(body)
        assert status == 503 and report["status"] == "fail"
        assert report["failed"] == ["database", "worker"]  # no worker check without it
        assert report["checks"]["database"]["ok"] is False
        assert "127.0.0.1" not in body and "kaoping" not in body and str(tmp_path) not in body
    finally:
        server.terminate()
        server.communicate(timeout=30)
