"""`make serve` and kaoping-web.service start gunicorn with config/deploy/gunicorn.conf.py:
it boots the application and answers through the same WSGI entry point."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings


def free_port() -> int:
    """A loopback port nobody holds now (so parallel runs on one machine never meet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_boots_the_app_with_the_shipped_config(tmp_path):
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {
        **os.environ,
        "DJANGO_VAR_DIR": str(tmp_path),  # a throw-away SQLite database and secret key
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [str(gunicorn), "--config", "config/deploy/gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
                    body = page.read().decode()
                    break
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
        assert "登录" in body and "/static/css/app.css" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/app.css") as css:
            assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Booting worker" in output and "Control socket" not in output
