"""`manage.py supervise_worker`: run the task worker and restart it whenever it exits.

`make run` and `make serve` start the worker through this command, so a worker that
crashes (a lost database connection, an out-of-memory kill) comes back by itself, after
a pause that doubles on each quick failure (1 s, 2 s, 4 s … up to --max-backoff) and
resets once a worker has stayed up for a minute. Every restart is logged with the exit
status. SIGTERM / SIGINT stop the worker and then the supervisor.

On a server, systemd does the same job (config/deploy/kaoping-worker.service,
Restart=always); this command is for machines without it.
"""

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger("kaoping.supervisor")

STABLE_SECONDS = 60.0  # a worker that ran this long resets the backoff


def supervise(
    command: Sequence[str],
    *,
    backoff: float = 1.0,
    max_backoff: float = 30.0,
    max_restarts: int | None = None,
    log: Callable[[str], None] = logger.warning,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run ``command`` until stopped, restarting it when it exits; return the restart count.

    ``max_restarts`` bounds the restarts (tests); ``None`` means forever.
    """
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    restarts = 0
    delay = backoff
    try:
        while True:
            started = time.monotonic()
            child = subprocess.Popen(list(command))
            status = child.wait()
            if stopping:
                return restarts
            ran = time.monotonic() - started
            if ran >= STABLE_SECONDS:
                delay = backoff
            if max_restarts is not None and restarts >= max_restarts:
                log(f"worker exited with status {status} after {ran:.1f} s; not restarting")
                return restarts
            restarts += 1
            log(
                f"worker exited with status {status} after {ran:.1f} s; "
                f"restart #{restarts} in {delay:g} s"
            )
            sleep(delay)
            if stopping:
                return restarts
            delay = min(delay * 2, max_backoff)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Command(BaseCommand):
    help = "Run `manage.py db_worker` and restart it (with backoff) whenever it exits."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--backoff", type=float, default=1.0, help="first pause (seconds)")
        parser.add_argument("--max-backoff", type=float, default=30.0)
        parser.add_argument("--max-restarts", type=int, default=None, help="default: forever")
        parser.add_argument(
            "worker_args", nargs="*", help="passed to db_worker (after --), e.g. -- --interval 2"
        )

    def handle(self, *args, backoff, max_backoff, max_restarts, worker_args, **options) -> None:
        manage = Path(settings.BASE_DIR) / "manage.py"
        command = [sys.executable, str(manage), "db_worker", *worker_args]

        def log(message: str) -> None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            self.stderr.write(f"[{stamp}] supervise_worker: {message}")

        log(f"starting: {' '.join(command[1:])}")
        supervise(
            command,
            backoff=backoff,
            max_backoff=max_backoff,
            max_restarts=max_restarts,
            log=log,
        )
