"""docs/deploy.md as written: its `step=` shell blocks, taken from the guide itself, run as
root on this machine in a scratch directory, with the names of its first block pointed there.

A fresh install of the committed code (a system-wide Python, a wheelhouse, the service user,
the database, the settings, the services started from the shipped units as the service user:
the login page and the worker's heartbeat answer), a backup and a restore, and an upgrade from
an earlier release with its data (every rubric a fresh install has is there afterwards, the
demo's rows too). Runs on PostgreSQL only, as root only (useradd, runuser)."""

import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
GUIDE = BASE_DIR / "docs" / "deploy.md"
HOST = "kaoping.example.cn"  # the guide's own HOST

# The release the upgrade starts from: 2026-11-21, the first commit with the deployment
# steps; it shipped five rubrics, and its migrations run under the upgrade's.
PREVIOUS_RELEASE = "634b98ce9726d6a7db1747459ca4476c900859d8"
# The demo's rows an upgrade must keep (the later migrations add columns, not rows, here).
KEPT_TABLES = (
    "branches_user",
    "branches_organization",
    "branches_membership",
    "assessments_campaign",
    "assessments_scoresheet",
    "assessments_sheetentry",
)

# The blocks this test runs (in this order) and the ones it does not, with why.
RUN = (
    "names",
    "python-from-pyenv",
    "python-check",
    "wheelhouse",
    "install",
    "settings",
    "setup",
    "services",
    "backup",
    "restore",
    "upgrade",
)
NOT_RUN = {
    "packages": "apt-get of the server's packages: the machine has PostgreSQL, git, make, npm",
    "python-from-source": "needs the CPython source and ten minutes of compiling",
    "superuser": "asks for a password: the test runs createsuperuser --noinput",
    "nginx": "no nginx on the test machine",
}
# The names the test points at its scratch directory; the guide's blocks use no other path.
NAMES = ("REPO", "APP", "SVC", "DB", "ENV_FILE", "UNIT_DIR", "BACKUP_DIR", "WHEELHOUSE", "PYTHON")


def guide_blocks() -> dict[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```sh step=([\w-]+)\n(.*?)^```$", text, flags=re.M | re.S)
    names = [name for name, _ in blocks]
    assert len(names) == len(set(names)), names
    return dict(blocks)


def test_every_block_of_the_guide_is_run_or_says_why_not():
    blocks = guide_blocks()
    assert set(blocks) == set(RUN) | set(NOT_RUN)
    for name in NAMES:
        assert re.search(rf"^{name}=", blocks["names"], flags=re.M), name


def test_the_guide_assumes_no_sudo_and_no_python_in_a_home_directory():
    for name, block in guide_blocks().items():
        assert not re.search(r"\bsudo\b", block), name
        if name not in ("names", "python-from-pyenv"):
            assert "/root" not in block and "/home" not in block, name
        if name not in ("names", "services"):  # the services' sed names the units' paths
            assert "/srv/kaoping" not in block and "/etc/kaoping" not in block, name


def test_make_install_refuses_a_python_in_a_home_directory_for_a_service():
    result = subprocess.run(
        ["make", "--no-print-directory", "check-python", "SERVICE=1"],
        cwd=BASE_DIR,
        env={**os.environ, "PYTHON": "/home/someone/.pyenv/versions/3.12.1/bin/python3"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Refusing" in result.stdout and "home directory" in result.stdout
    assert "/opt/python3.12" in result.stdout
    # This checkout's own interpreter (outside any home directory) passes.
    allowed = subprocess.run(
        ["make", "--no-print-directory", "check-python", "SERVICE=1"],
        cwd=BASE_DIR,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if Path(sys.executable).resolve().is_relative_to("/root") or Path(
        sys.executable
    ).resolve().is_relative_to("/home"):
        assert allowed.returncode != 0
    else:
        assert allowed.returncode == 0, allowed.stdout + allowed.stderr


# A stand-in for systemctl (the test machine runs no systemd): start runs a unit's ExecStart
# as its User=, in its WorkingDirectory=, with its EnvironmentFile= and Environment=; stop
# sends SIGTERM to the process group and waits (SIGKILL after TimeoutStopSec or 60 s).
FAKE_SYSTEMCTL = r"""
import configparser, os, shlex, signal, subprocess, sys, time
from pathlib import Path

UNIT_DIR = Path(os.environ["CI_UNIT_DIR"])


def service(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNIT_DIR / f"{name}.service", encoding="utf-8")
    return parser["Service"]


def alive(pgid):
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def start(name):
    s = service(name)
    pidfile = UNIT_DIR / f"{name}.pid"
    if pidfile.exists() and alive(int(pidfile.read_text())):
        return
    env = [v for k, v in s.items() if k == "Environment"]
    command = [
        "runuser", "-u", s["User"], "--", "env", "-C", s["WorkingDirectory"], *env,
        "bash", "-c", 'set -a && . "$0" && set +a && exec "$@"', s["EnvironmentFile"],
        *shlex.split(s["ExecStart"]),
    ]
    log = open(UNIT_DIR / f"{name}.log", "ab")
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    pidfile.write_text(str(process.pid))


def stop(name):
    pidfile = UNIT_DIR / f"{name}.pid"
    if not pidfile.exists():
        return
    pgid = int(pidfile.read_text())
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 60
    while alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
    pidfile.unlink()


args = [a for a in sys.argv[1:] if not a.startswith("-")]
now = "--now" in sys.argv
verb, units = args[0], [u.removesuffix(".service") for u in args[1:]]
for unit in units:
    if verb == "start" or (verb == "enable" and now):
        start(unit)
    elif verb == "stop":
        stop(unit)
    elif verb == "restart":
        stop(unit)
        start(unit)
    elif verb not in ("enable", "daemon-reload"):
        sys.exit(f"systemctl stand-in: {verb} is not supported")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres(*args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", *args],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout


def _sql(db: str, query: str) -> str:
    return _postgres("psql", "-XAtq", "-d", db, "-c", query).strip()


# Rows the running services write by themselves (heartbeats, the task queue, sessions).
VOLATILE = re.compile(r"workerheartbeat|django_tasks|django_session")


def _counts(db: str) -> dict[str, int]:
    """Rows per table, but for the ones the running services write by themselves."""
    tables = _sql(
        db,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    ).split()
    tables = [t for t in tables if not VOLATILE.search(t)]
    query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    rows = _sql(db, query).splitlines()
    return {name: int(count) for name, count in (row.split("|") for row in rows)}


def _rubric_versions(db: str) -> set[tuple[str, int]]:
    rows = _sql(
        db,
        "SELECT r.code, v.number FROM rubrics_rubricversion v "
        "JOIN rubrics_rubric r ON r.id = v.rubric_id",
    ).splitlines()
    return {(code, int(number)) for code, number in (row.split("|") for row in rows)}


def _get(port: int, path: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": HOST, "X-Forwarded-Proto": "https"},  # as nginx sends them
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def _wait_until_healthy(port: int, logs: Path, healthz: bool = True):
    """The login page answers and /healthz is ok: the task worker has beaten (the previous
    release had no /healthz: its login page only)."""
    deadline = time.monotonic() + 120
    status, body = 0, ""
    while time.monotonic() < deadline:
        status, body = _get(port, "/healthz" if healthz else "/accounts/login/")
        if status == 200 and (not healthz or '"status": "ok"' in body.replace('":"', '": "')):
            login_status, login = _get(port, "/accounts/login/")
            assert login_status == 200 and "登录" in login, (login_status, login[:500])
            return
        time.sleep(1)
    tails = {p.name: p.read_text(errors="replace")[-3000:] for p in logs.glob("*.log")}
    pytest.fail(f"not healthy: {status} {body[:500]}\n{tails}")


timings: list[tuple[str, float]] = []  # how long each step took (printed at the end)


class Guide:
    """Runs the guide's blocks, each in a fresh root bash that first runs the names block
    and then points the names at the scratch directory."""

    def __init__(self, scratch: Path, names: dict[str, str], env: dict[str, str]):
        self.blocks = guide_blocks()
        self.scratch = scratch
        self.names = dict(names)
        self.env = env

    def run(self, step: str, extra_env: dict[str, str] | None = None, cwd: Path | None = None):
        started = time.monotonic()
        overrides = "\n".join(f"{k}={shlex.quote(v)}" for k, v in self.names.items())
        script = "\n".join(
            ["set -euo pipefail", "umask 022", self.blocks["names"], overrides, self.blocks[step]]
        )
        env = {**self.env, "CI_UNIT_DIR": self.names["UNIT_DIR"], **(extra_env or {})}
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=cwd or self.scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, (
            f"docs/deploy.md step={step} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
        timings.append((f"{self.names['APP']}: {step}", time.monotonic() - started))
        return result.stdout

    def as_svc(self, *command: str) -> str:
        """A command the way the guide's as_svc runs it (after the names block)."""
        script = "\n".join(
            [
                "set -euo pipefail",
                self.blocks["names"],
                "\n".join(f"{k}={shlex.quote(v)}" for k, v in self.names.items()),
                "as_svc " + shlex.join(command),
            ]
        )
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.scratch,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, f"{command}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
        return result.stdout

    def set_env(self, **values: str):
        """What the operator types into the env file (`editor "$ENV_FILE"`)."""
        path = Path(self.names["ENV_FILE"])
        with path.open("a", encoding="utf-8") as env_file:
            for key, value in values.items():
                env_file.write(f"{key}={value}\n")


def _system_python(scratch: Path) -> tuple[str, bool]:
    """(PYTHON for the names block, whether to run the guide's step 2 b)."""
    for candidate in ("/usr/bin/python3.13", "/usr/bin/python3.12"):
        if os.access(candidate, os.X_OK):
            return candidate, False
    if list(Path("/root/.pyenv/versions").glob("3.12.*")):
        return str(scratch / "opt" / "python3.12" / "bin" / "python3.12"), True
    pytest.skip("no Python >= 3.12 here: neither Debian's nor a pyenv build to move to /opt")


def _bundle(scratch: Path, name: str, commit: str) -> str:
    """The code of `commit` as the branch main of a git bundle, the way an intranet without
    a git server receives it (a bundle file, unlike a repository owned by root, can be
    cloned and pulled by the service user)."""
    bare = scratch / f"{name}.git"
    if not bare.exists():
        subprocess.run(
            ["git", "init", "-q", "--bare", "--initial-branch=main", str(bare)], check=True
        )
    subprocess.run(
        [
            "git",
            "-C",
            str(BASE_DIR),
            "push",
            "-q",
            "--force",
            str(bare),
            f"{commit}:refs/heads/main",
        ],
        check=True,
    )
    bundle = scratch / f"{name}.bundle"
    subprocess.run(
        ["git", "-C", str(bare), "bundle", "create", "-q", str(bundle), "HEAD", "main"], check=True
    )
    bundle.chmod(0o644)
    return str(bundle)


def _previous_release_wheels(scratch: Path, wheelhouse: str):
    """The previous release's wheels and npm packages, added to the wheelhouse (its Makefile
    has no `make wheelhouse`)."""
    old = scratch / "previous-release-files"
    old.mkdir()
    files = ["pyproject.toml", "constraints.txt", "package.json", "package-lock.json"]
    archive = subprocess.run(
        ["git", "-C", str(BASE_DIR), "archive", PREVIOUS_RELEASE, *files],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    pip = BASE_DIR / ".venv" / "bin" / "pip"
    subprocess.run(
        [
            str(pip),
            "download",
            "-q",
            "-d",
            wheelhouse,
            "pip==26.3",
            "--group",
            "dev",
            "-c",
            "constraints.txt",
        ],
        cwd=old,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--silent", "--cache", f"{wheelhouse}/npm"],
        cwd=old,
        check=True,
        capture_output=True,
    )


def test_the_deployment_guide_as_written():
    # A server's whole install, twice, and an upgrade: 20–40 minutes. It runs as CI's own
    # stage (.ci/run sets DEPLOY_GUIDE_TEST=1), not inside the suite's PostgreSQL pass.
    if os.environ.get("DEPLOY_GUIDE_TEST") != "1":
        pytest.skip("the guide's full run is CI's deploy stage: set DEPLOY_GUIDE_TEST=1")
    if os.geteuid() != 0:
        pytest.skip("not root: the guide's steps run as root (useradd, runuser, chown)")
    if connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL is not PostgreSQL: the guide deploys on PostgreSQL")
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-XAtqc", "SELECT 1"],
        cwd="/",
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"PostgreSQL does not answer its postgres user locally: {probe.stderr}")
    head = subprocess.run(
        ["git", "-C", str(BASE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if (
        not head
        or subprocess.run(
            ["git", "-C", str(BASE_DIR), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"]
        ).returncode
    ):
        pytest.skip("this checkout has not got the commits the test installs (a shallow clone?)")
    for tool in ("runuser", "useradd", "systemd-analyze", "npm", "git"):
        assert shutil.which(tool), f"{tool} is missing"

    # Not under /tmp/pytest-of-root (closed to other users): the service user must reach it.
    scratch = Path(tempfile.mkdtemp(prefix="kaoping-ci-", dir="/var/tmp"))
    scratch.chmod(0o755)
    tag = secrets.token_hex(3)
    svc, db, db_old = f"kaoping-ci-{tag}", f"kaoping_ci_{tag}", f"kaoping_ci_{tag}_old"
    python, move_pyenv_python = _system_python(scratch)
    (scratch / "bin").mkdir()
    systemctl = scratch / "bin" / "systemctl"
    systemctl.write_text(f"#!{sys.executable}\n{FAKE_SYSTEMCTL}", encoding="utf-8")
    systemctl.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "DJANGO_", "PYTEST", "PIP_", "VIRTUAL_ENV", "npm_"))
    }
    env["PATH"] = f"{scratch / 'bin'}:{env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"
    wheelhouse = str(scratch / "srv" / "kaoping-wheelhouse")
    names = {
        "REPO": _bundle(scratch, "release", head),
        "APP": str(scratch / "srv" / "kaoping"),
        "SVC": svc,
        "DB": db,
        "ENV_FILE": str(scratch / "etc" / "kaoping" / "kaoping.env"),
        "UNIT_DIR": str(scratch / "etc" / "systemd" / "system"),
        "BACKUP_DIR": str(scratch / "var" / "backups" / "kaoping"),
        "WHEELHOUSE": wheelhouse,
        "PYTHON": python,
    }
    # What a Debian system has before the guide starts.
    Path(names["UNIT_DIR"]).mkdir(parents=True)
    (scratch / "opt").mkdir()
    fresh = Guide(scratch, names, env)
    # The service user's installs take nothing but the wheelhouse: no pip configuration of
    # this machine (its local package mirrors) reaches them.
    offline = {"PIP_CONFIG_FILE": os.devnull}
    old_names = {
        **names,
        "REPO": _bundle(scratch, "previous", PREVIOUS_RELEASE),
        "APP": str(scratch / "srv" / "kaoping-previous"),
        "DB": db_old,
        "ENV_FILE": str(scratch / "etc" / "kaoping-previous" / "kaoping.env"),
        "UNIT_DIR": str(scratch / "etc" / "systemd-previous" / "system"),
    }
    Path(old_names["UNIT_DIR"]).mkdir(parents=True)
    upgraded = Guide(scratch, old_names, env)
    try:
        # 2. The Python, system-wide; 3. the wheelhouse (root, "online").
        if move_pyenv_python:
            fresh.run("python-from-pyenv")
        fresh.run("python-check")
        fresh.run("wheelhouse")
        assert any(Path(wheelhouse).glob("django-6*.whl")), "no wheels in the wheelhouse"

        # 4–7: a fresh install, as the guide says, as the service user.
        fresh.run("install", extra_env=offline)
        venv_python = Path(names["APP"]) / ".venv" / "bin" / "python"
        assert venv_python.resolve().is_relative_to(Path(python).resolve().parent.parent)
        fresh.run("settings")
        port = _free_port()
        fresh.set_env(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
        fresh.run("setup", extra_env=offline)
        fresh_versions = _rubric_versions(db)
        shipped = len(list((BASE_DIR / "fixtures" / "rubrics").glob("*.json")))
        assert len({code for code, _ in fresh_versions}) == shipped
        fresh.as_svc(
            "env",
            "DJANGO_SUPERUSER_PASSWORD=Deploy-ci-2026!",
            ".venv/bin/python",
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            "admin",
            "--email",
            "admin@example.cn",
        )
        fresh.run("services")
        _wait_until_healthy(port, Path(names["UNIT_DIR"]))

        # Backup of the fresh install (an uploaded file in var/media), then a change to the
        # database and the files, then the guide's restore: the backup's state comes back.
        evidence = Path(names["APP"]) / "var" / "media" / "evidence" / "ci.txt"
        fresh.as_svc("bash", "-c", f"mkdir -p {evidence.parent} && echo 证据 > {evidence}")
        fresh.run("backup")
        backed_up = _counts(db)
        fresh.as_svc(
            "env",
            "DJANGO_SUPERUSER_PASSWORD=Deploy-ci-2026!",
            ".venv/bin/python",
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            "after-backup",
            "--email",
            "b@example.cn",
        )
        evidence.unlink()
        assert _counts(db)["branches_user"] == backed_up["branches_user"] + 1
        fresh.run("restore")
        assert _counts(db) == backed_up
        assert _sql(db, "SELECT count(*) FROM branches_user WHERE username = 'after-backup'") == "0"
        assert evidence.read_text(encoding="utf-8") == "证据\n"
        assert evidence.stat().st_uid == Path(names["APP"]).stat().st_uid
        _wait_until_healthy(port, Path(names["UNIT_DIR"]))
        subprocess.run(
            [str(systemctl), "stop", "kaoping-web", "kaoping-worker"],
            env={**env, "CI_UNIT_DIR": names["UNIT_DIR"]},
            check=True,
            timeout=180,
        )

        # The upgrade: the previous release installed with the same steps, its own migrations,
        # shipped rubrics and the demo (as its README said), then the guide's upgrade block.
        _previous_release_wheels(scratch, wheelhouse)
        old_offline = {
            **offline,
            # The previous Makefile knows no WHEELHOUSE: the same wheelhouse, by environment.
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": wheelhouse,
            "npm_config_offline": "true",
            "npm_config_cache": f"{wheelhouse}/npm",
        }
        upgraded.run("install", extra_env=old_offline)
        upgraded.run("settings")
        port = _free_port()
        upgraded.set_env(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
        for command in (
            "migrate --noinput",
            "load_rubrics",
            "collectstatic --noinput",
            "load_demo",
        ):
            upgraded.as_svc(".venv/bin/python", "manage.py", *command.split())
        before = _counts(db_old)
        before_versions = _rubric_versions(db_old)
        assert len(before_versions) < len(fresh_versions), "the previous release ships fewer"
        upgraded.run("services")
        _wait_until_healthy(port, Path(old_names["UNIT_DIR"]), healthz=False)

        _bundle(scratch, "previous", head)  # the new release arrives
        upgraded.run("upgrade", extra_env=offline)
        after_versions = _rubric_versions(db_old)
        assert fresh_versions <= after_versions, fresh_versions - after_versions
        assert before_versions <= after_versions
        assert len(after_versions) == len(fresh_versions | before_versions)
        after = _counts(db_old)
        for table in KEPT_TABLES:
            assert after[table] == before[table] > 0, (table, before[table], after[table])
        _wait_until_healthy(port, Path(old_names["UNIT_DIR"]))
    finally:
        for unit_dir in (names["UNIT_DIR"], old_names["UNIT_DIR"]):
            subprocess.run(
                [str(systemctl), "stop", "kaoping-web", "kaoping-worker"],
                env={**env, "CI_UNIT_DIR": unit_dir},
                timeout=180,
            )
        for name in (db, db_old):
            _postgres("dropdb", "--if-exists", name, check=False)
            _postgres("psql", "-Xqc", f'DROP ROLE IF EXISTS "{name}"', check=False)
        subprocess.run(["userdel", svc], capture_output=True)
        subprocess.run(["groupdel", svc], capture_output=True)
        # Two checkouts, their venvs and front-end packages: minutes of deleting on a busy
        # disk, so rm goes on by itself after the test.
        subprocess.Popen(["rm", "-rf", str(scratch)], start_new_session=True)
        print("\n".join(f"{seconds:6.1f} s  {step}" for step, seconds in timings))
