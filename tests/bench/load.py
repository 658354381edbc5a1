"""The embedded default under load (issue #10, finding 4), against a real server.

20 users autosave their own sheets through `runserver` on 127.0.0.1 (threads, each with its
own session and CSRF token, urllib only), one user downloads a draft sheet's PDF in a loop,
and `db_worker` renders a summary report meanwhile. Bounded: BENCH_LOAD_SECONDS (default
20 s), loopback only. Prints requests per second, latencies and every error; exits
non-zero if there was an error or the worker died.

Run alone with `python -m tests.bench load` (the caller has set up Django on a throw-away
DJANGO_VAR_DIR; the server and worker subprocesses inherit it).
"""

import http.cookiejar
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
from collections import Counter
from pathlib import Path

USERS = int(os.environ.get("BENCH_LOAD_USERS", "20"))  # capped by the demo's branches
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
THINK = float(os.environ.get("BENCH_LOAD_THINK", "0.2"))  # pause between a user's requests
PORT = int(os.environ.get("BENCH_PORT", "8104"))
BASE = f"http://127.0.0.1:{PORT}"
ROOT = Path(__file__).resolve().parents[2]


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


def _prepare():
    """A campaign with one draft review sheet per user (20 reviewers × 20 branches), a
    department admin for the report job, and sessions for everyone."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from assessments import selectors, services
    from branches.models import Membership, Organization, Role, User
    from rubrics.models import RubricVersion

    call_command("migrate", verbosity=0)
    if not RubricVersion.objects.exists():
        call_command("load_rubrics", verbosity=0)
    if not User.objects.filter(username="dq01").exists():
        call_command("load_demo", verbosity=0)
    admin = User.objects.get(username="dq01")
    campaign = services.create_campaign(
        by=admin,
        name="负载测试",
        version=RubricVersion.objects.get(rubric__code="fuling-2017"),
        scope=Organization.objects.get(code="JT"),
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=admin)
    root = Organization.objects.get(code="JT")
    # Demo data has fewer branches than users: the 督导 and the 验收 stage each get one.
    orgs = list(services.targets(campaign).order_by("path"))
    stages = list(campaign.stages.filter(position__gt=0, position__lt=3).order_by("position"))
    users, sheets = [], []
    for n in range(min(USERS, len(orgs) * len(stages))):
        user, _ = User.objects.get_or_create(username=f"load{n:02d}", defaults={"name": f"压测{n}"})
        Membership.objects.get_or_create(user=user, organization=root, role=Role.REVIEWER)
        users.append(user)
        stage, org = stages[n // len(orgs)], orgs[n % len(orgs)]
        sheets += services.assign_reviewers(stage, by=admin, reviewers=[user], orgs=[org])
    rules = selectors.sheet_rules(sheets[0])
    item = next(i for i in rules.items() if i.kind != "veto")
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

    secretary = User.objects.get(username="sj01")
    draft = campaign.sheets.get(assessor=secretary)
    return {
        "campaign": campaign.pk,
        "code": code,
        "values": ["0", str(points)],
        "users": [(session_for(u), s.pk) for u, s in zip(users, sheets, strict=True)],
        "pdf": (session_for(secretary), draft.pk),
        "admin": session_for(admin),
    }


def _autosaver(session_key: str, sheet_id: int, code: str, values: list, log: list, stop):
    browser = Browser(session_key, log)
    status, page = browser.request("sheet page", f"/sheets/{sheet_id}/")
    match = re.search(rb'name="revision" id="revision" value="(\d+)"', page)
    revision = int(match.group(1)) if match else 0
    n = 0
    while not stop.is_set():
        n += 1
        status, content = browser.request(
            "autosave",
            f"/sheets/{sheet_id}/autosave/",
            {"revision": revision, f"v_{code}": values[n % 2]},
        )
        if status == 200 and (found := re.search(rb'id="revision" value="(\d+)"', content)):
            revision = int(found.group(1))
        if n % 5 == 0:
            browser.request("home page", "/")
        stop.wait(THINK)


def _pdf_loop(session_key: str, sheet_id: int, log: list, stop):
    browser = Browser(session_key, log)
    while not stop.is_set():
        browser.request("draft PDF", f"/sheets/{sheet_id}/report.pdf")


def _start(args: list[str], name: str) -> subprocess.Popen:
    out = open(Path(os.environ["DJANGO_VAR_DIR"]) / f"{name}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
    )


def _wait_for_server(server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver exited ({server.returncode}); is port {PORT} free?")
        try:
            urllib.request.urlopen(BASE + "/accounts/login/", timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit("runserver did not answer within 60 s")


def load_test() -> None:
    from assessments.models import ReportJob

    setup = _prepare()
    server = _start(["runserver", f"127.0.0.1:{PORT}", "--noreload"], "runserver")
    worker = _start(["db_worker", "--no-reload", "--interval", "0.5"], "db_worker")
    try:
        _wait_for_server(server)
        log: list = []
        stop = threading.Event()
        admin = Browser(setup["admin"], log)
        admin.request("campaign page", f"/campaigns/{setup['campaign']}/")
        threads = [
            threading.Thread(
                target=_autosaver, args=(key, sheet, setup["code"], setup["values"], log, stop)
            )
            for key, sheet in setup["users"]
        ]
        threads.append(threading.Thread(target=_pdf_loop, args=(*setup["pdf"], log, stop)))
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        admin.request("start report", f"/campaigns/{setup['campaign']}/reports/summary/", {})
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
        elapsed = time.perf_counter() - started
        time.sleep(2)  # let the worker finish a job picked up at the end
        worker_alive = worker.poll() is None
        jobs = Counter(
            ReportJob.objects.filter(campaign_id=setup["campaign"]).values_list("status", flat=True)
        )
    finally:
        for process in (server, worker):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    _print(log, elapsed, worker_alive, jobs, len(setup["users"]))
    errors = [entry for entry in log if not 200 <= entry[1] < 400]
    if errors or not worker_alive:
        sys.exit(1)


def _print(log: list, elapsed: float, worker_alive: bool, jobs: Counter, users: int) -> None:
    print(
        f"\nload on SQLite: {users} autosaving users + 1 PDF loop + db_worker, "
        f"{elapsed:.0f} s, think time {THINK} s"
    )
    print(f"{'request':<16}{'count':>7}{'errors':>8}{'median ms':>11}{'p95 ms':>9}")
    for kind in sorted({k for k, _, _ in log}):
        rows = [(s, t) for k, s, t in log if k == kind]
        times = sorted(t * 1000 for _, t in rows)
        errors = sum(1 for s, _ in rows if not 200 <= s < 400)
        p95 = times[max(int(len(times) * 0.95) - 1, 0)]
        print(f"{kind:<16}{len(rows):>7}{errors:>8}{statistics.median(times):>11.0f}{p95:>9.0f}")
    statuses = Counter(s for _, s, _ in log)
    print(f"throughput: {len(log) / elapsed:.1f} req/s; statuses {dict(sorted(statuses.items()))}")
    print(
        f"db_worker alive at the end: {'yes' if worker_alive else 'NO'}; report jobs {dict(jobs)}\n"
    )
