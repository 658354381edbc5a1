"""A bounded loopback load test of `make serve`: gunicorn with the real config
(config/deploy/gunicorn.conf.py, 2 × cores + 1 workers) on 127.0.0.1, the database the
caller chose (PostgreSQL where DATABASE_URL is set; `python -m tests.bench` gives it a
throw-away database).

50 simulated secretaries (BENCH_LOAD_USERS), each on her own branch's self-assessment
sheet of the Fuling rubric, autosave every 2 s (BENCH_LOAD_EVERY) for 20 s
(BENCH_LOAD_SECONDS) as the page does: one field, its note and the revision the page holds.
Prints p50/p95/p99 latency, errors, and whether every value a secretary saw saved is the
value read back from the database afterwards. Prints one JSON line for the bench's table.

Run alone with `python -m tests.bench load` (after Django is set up on the database).
"""

import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
EVERY = float(os.environ.get("BENCH_LOAD_EVERY", "2"))
PORT = int(os.environ.get("BENCH_PORT", "8102"))
BASE = f"http://127.0.0.1:{PORT}"
ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "deploy" / "gunicorn.conf.py"


class Browser:
    """One user's session: cookies, CSRF token, and a record of every response."""

    def __init__(self, session_key: str, log: list):
        self.jar = http.cookiejar.CookieJar()
        self.jar.set_cookie(
            http.cookiejar.Cookie(
                0, "sessionid", session_key, None, False, "127.0.0.1", False, False,
                "/", True, False, None, False, None, None, {},
            )
        )  # fmt: skip
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.log = log

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, kind: str, path: str, data: dict | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(BASE + path, data=body)
        if body is not None:
            request.add_header("X-CSRFToken", self.csrf())
            request.add_header("Referer", BASE + "/")
            request.add_header("HX-Request", "true")
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, content = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, content = exc.code, exc.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            status, content = 0, str(exc).encode()
        self.log.append((kind, status, time.perf_counter() - start))
        return status, content


def _prepare() -> dict:
    """USERS branches under the demo group, each with its own secretary, and an open Fuling
    campaign that issues each secretary her self-assessment sheet; a session per user."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from assessments import selectors, services
    from branches.models import Membership, Organization, OrgKind, Role, User
    from branches.services import place_subtree
    from rubrics import scoring
    from rubrics.models import RubricVersion

    call_command("migrate", verbosity=0)
    if not RubricVersion.objects.exists():
        call_command("load_rubrics", verbosity=0)
    if not User.objects.filter(username="dq01").exists():
        call_command("load_demo", verbosity=0)
    admin = User.objects.get(username="dq01")
    scope = Organization.objects.get(code="GT")
    secretaries = []
    for n in range(USERS):
        org = Organization.objects.create(
            code=f"LOAD-{n:03d}", name=f"压测党支部{n}", kind=OrgKind.BRANCH, parent=scope
        )
        place_subtree(org)
        user = User.objects.create(username=f"load{n:03d}", name=f"压测书记{n}")
        Membership.objects.create(user=user, organization=org, role=Role.SECRETARY)
        secretaries.append(user)
    campaign = services.create_campaign(
        by=admin,
        name="负载测试",
        version=RubricVersion.objects.get(rubric__code="fuling-2017"),
        scope=scope,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=admin)
    sheets = [campaign.sheets.get(assessor=user) for user in secretaries]
    rules = selectors.sheet_rules(sheets[0])
    item = next(i for i in rules.items() if i.kind != scoring.VETO)
    code, points = (
        (item.parts[0].code, item.parts[0].points) if item.parts else (item.code, item.points)
    )

    def session_for(user) -> str:
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    return {
        "code": code,
        "points": points,
        "users": [(session_for(u), s.pk) for u, s in zip(secretaries, sheets, strict=True)],
    }


def _secretary(session_key, sheet_id, code, points, log, saved: dict, stop, offset):
    """Open the sheet page, then save one field (value, note, revision) every EVERY s."""
    browser = Browser(session_key, log)
    status, page = browser.request("sheet page", f"/sheets/{sheet_id}/")
    match = re.search(rb'name="revision" id="revision" value="(\d+)"', page)
    revision = int(match.group(1)) if match else 0
    stop.wait(offset)  # the secretaries do not all type in the same instant
    n = 0
    while not stop.is_set():
        tick = time.monotonic()
        n += 1
        value = str(points - n % 2)
        status, content = browser.request(
            "autosave",
            f"/sheets/{sheet_id}/autosave/",
            {"revision": revision, f"v_{code}": value, f"n_{code}": f"第{n}次保存"},
        )
        if status == 200 and (found := re.search(rb'id="revision" value="(\d+)"', content)):
            revision = int(found.group(1))
            saved[sheet_id] = (value, f"第{n}次保存")
        stop.wait(max(0.0, EVERY - (time.monotonic() - tick)))


def _wait_for_server(server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = Path(os.environ["DJANGO_VAR_DIR"]) / "gunicorn.log"
            raise SystemExit(
                f"gunicorn exited ({server.returncode}); is port {PORT} free?\n"
                + output.read_text(errors="replace")[-3000:]
            )
        try:
            urllib.request.urlopen(BASE + "/accounts/login/", timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s")


def _percentile(times: list[float], p: float) -> float:
    return times[min(len(times) - 1, max(0, round(len(times) * p / 100) - 1))]


def load_test() -> dict:
    from decimal import Decimal

    from django.db import connection

    from assessments.models import SheetEntry

    setup = _prepare()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{PORT}", "GUNICORN_ACCESS_LOG": "/dev/null"}
    logfile = open(Path(os.environ["DJANGO_VAR_DIR"]) / "gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "config/deploy/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_server(server)
        if connection.vendor == "postgresql":
            # Start on a quiet database: the checkpoint the setup's writes (and the bench
            # before it) owe is taken now, not in the middle of the 20 seconds measured.
            from django.db import DatabaseError, transaction

            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("CHECKPOINT")
            except DatabaseError:  # needs a superuser or pg_checkpoint: measure as it is
                pass
        log: list = []
        saved: dict = {}
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=_secretary,
                args=(key, sheet, setup["code"], setup["points"], log, saved, stop),
                kwargs={"offset": EVERY * n / len(setup["users"])},
            )
            for n, (key, sheet) in enumerate(setup["users"])
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    connection.close()
    stored = {
        sheet_id: (value, note)
        for sheet_id, value, note in SheetEntry.objects.filter(
            sheet_id__in=list(saved), code=setup["code"]
        ).values_list("sheet_id", "value", "note")
    }
    matched = sum(
        1
        for sheet_id, (value, note) in saved.items()
        if sheet_id in stored
        and stored[sheet_id][0] == Decimal(value)
        and stored[sheet_id][1] == note
    )
    saves = sorted(t * 1000 for kind, _, t in log if kind == "autosave")
    errors = sum(1 for _, status, _ in log if not 200 <= status < 400)
    summary = {
        "users": len(setup["users"]),
        "seconds": round(elapsed, 1),
        "autosaves": len(saves),
        "per_second": round(len(saves) / elapsed, 1),
        "p50": statistics.median(saves) if saves else None,
        "p95": _percentile(saves, 95) if saves else None,
        "p99": _percentile(saves, 99) if saves else None,
        "errors": errors,
        "read_back": f"{matched}/{len(setup['users'])}",
        "database": connection.vendor,
    }
    print("LOAD " + json.dumps(summary, ensure_ascii=False), flush=True)
    return summary
