"""Start a small Django project of tests/sso (an OpenID Connect provider, a CAS server) in
a second process on a loopback port the OS picks, with its own SQLite database in a
temporary folder; stopped by the fixture that started it."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAS_PYTHON = ROOT / ".venv-cas" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(
    package: str,
    folder: Path,
    setup: dict,
    *,
    python: str = sys.executable,
    env: dict | None = None,
) -> Server:
    """Run ``tests.sso.<package>.setup`` once, then serve the project with runserver."""
    environment = {
        **os.environ,
        **(env or {}),
        "DJANGO_SETTINGS_MODULE": f"tests.sso.{package}.settings",
        "PROVIDER_DB": str(folder / "provider.sqlite3"),
        "PROVIDER_SETUP": json.dumps(setup),
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("DATABASE_URL", None)
    subprocess.run(
        [python, "-m", f"tests.sso.{package}.setup"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    log = folder / "server.log"
    process = subprocess.Popen(
        [python, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{package} exited: {log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(base + "/", timeout=2)
        except urllib.error.HTTPError:
            return Server(base, process, log)  # it answers (404 at /)
        except OSError:
            time.sleep(0.2)
            continue
        return Server(base, process, log)
    process.kill()
    raise RuntimeError(f"{package} did not answer within 60 s: {log.read_text()[-3000:]}")
