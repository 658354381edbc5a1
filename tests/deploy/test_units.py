"""The shipped systemd units and nginx snippet: installed into a scratch root and checked
with `systemd-analyze verify` (which parses every setting and checks that each command
exists), plus the settings this deployment depends on."""

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "config" / "deploy"
UNITS = ("kaoping-web.service", "kaoping-worker.service")


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def _install(root: Path) -> list[Path]:
    """Copy the units into root/etc/systemd/system, pointing /srv/kaoping at this checkout
    (whose .venv holds the same executables a server's does) and at a scratch env file."""
    (root / "etc" / "kaoping").mkdir(parents=True)
    env_file = root / "etc" / "kaoping" / "kaoping.env"
    shutil.copy(DEPLOY / "kaoping.env.example", env_file)
    unit_dir = root / "etc" / "systemd" / "system"
    unit_dir.mkdir(parents=True)
    installed = []
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        text = text.replace("/etc/kaoping/kaoping.env", str(env_file))
        text = text.replace("/srv/kaoping", str(settings.BASE_DIR))
        (unit_dir / name).write_text(text, encoding="utf-8")
        installed.append(unit_dir / name)
    return installed


@pytest.mark.parametrize("name", UNITS)
def test_unit_restarts_always_as_a_dedicated_user_with_an_environment_file(name):
    service = _unit(name)["Service"]
    assert service["Restart"] == "always"
    assert service["User"] == "kaoping"
    assert service["Group"] == "kaoping"
    assert service["EnvironmentFile"] == "/etc/kaoping/kaoping.env"
    assert service["WorkingDirectory"] == "/srv/kaoping"
    assert service["ExecStart"].startswith("/srv/kaoping/.venv/bin/")
    assert service["ReadWritePaths"] == "/srv/kaoping/var"
    assert _unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # the only reason to skip: the tool itself is absent
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    installed = _install(tmp_path)
    result = subprocess.run(
        [analyze, "verify", *(str(p) for p in installed)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys or unparsable values ("…, ignoring"): any output fails.
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr


def test_systemd_analyze_verify_catches_a_broken_unit(tmp_path):
    """The check above can fail: a misspelt key and a missing executable are reported."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    broken = tmp_path / "broken.service"
    broken.write_text("[Service]\nExecStart=/nonexistent/gunicorn\nRestartt=always\n")
    result = subprocess.run(
        [analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60
    )
    assert "Restartt" in result.stderr
    assert "/nonexistent/gunicorn" in result.stderr


def test_env_example_names_only_variables_the_settings_read():
    names = {
        line.lstrip("#").split("=", 1)[0]
        for line in (DEPLOY / "kaoping.env.example").read_text(encoding="utf-8").splitlines()
        if re.match(r"#?[A-Z_]+=", line)
    }
    read = (Path(settings.BASE_DIR) / "config" / "settings.py").read_text(encoding="utf-8")
    read += (DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8")
    # DJANGO_SECURE is the production profile, added to settings on its own branch.
    unknown = {n for n in names if f'"{n}"' not in read} - {"DJANGO_SECURE"}
    assert not unknown, unknown
    assert "DJANGO_STATIC_COLLECTED" in names and "DATABASE_URL" in names


def test_nginx_forwards_the_scheme_and_admits_the_largest_upload():
    from assessments.services import EVIDENCE_MAX_BYTES

    conf = (DEPLOY / "nginx-kaoping.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header Host $host;" in conf
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    assert size is not None
    limit = int(size.group(1)) * 1024 * 1024
    assert limit > EVIDENCE_MAX_BYTES
    assert limit > settings.IMPORT_MAX_BYTES


def test_gunicorn_workers_follow_the_cores_unless_set(monkeypatch):
    import multiprocessing
    import runpy

    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["workers"] == 2 * multiprocessing.cpu_count() + 1
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["workers"] == 3
