"""`make bench`: the hot paths beside their floors, as ONE table (never asserted in
tests; statement counts are pinned by tests instead).

For each database, a subprocess (`tests/bench/paths.py`) on a throw-away database measures:
the full and the one-field autosave through HTTP (statements, time beside a plain
authenticated page), the Fuling score page beside a plain 55-row page, the branch PDF
beside raw WeasyPrint on the same HTML, importing 10,000 branches (dry run, confirm) beside
reading the .xlsx plus one bulk insert, consolidating 10,000 branches × 61 codes × 4
stages beside a raw SQL aggregate plus the raw writes of the rows the first run wrote, the
leader summary PDF at 10,000 and 2,500 branches and the zip of every branch report at 80
and 20 branches (time and the peak RSS of a fresh process rendering them), and the paged
lists a department administrator reads at 50,000 branches beside the plain page. SQLite
always; PostgreSQL where DATABASE_URL is set (a database named after it with "_bench"
appended is created and dropped).

Then a bounded loopback load test of `make serve` (gunicorn with config/deploy/
gunicorn.conf.py; PostgreSQL where DATABASE_URL is set, else SQLite): 50 secretaries
autosaving every 2 s for 20 s; p50/p95/p99, errors, values read back.

Sizes for a quick run: BENCH_BRANCHES, BENCH_IMPORT_ROWS, BENCH_SUMMARY_BRANCHES,
BENCH_ZIP_BRANCHES, BENCH_LIST_BRANCHES, BENCH_RUNS, BENCH_LOAD_USERS, BENCH_LOAD_SECONDS;
BENCH_ONLY=pages,autosave,pdf,import,consolidation,summary,zip,lists,load picks parts.
`python -m tests.bench load` runs only the load test.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
W = 58  # the path column's width


def _postgres_bench_url(url: str) -> tuple[str, str, str]:
    """(the bench database's URL, its name, the server URL to create it from)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "postgres") + "_bench"
    return urlunsplit(parts._replace(path="/" + name)), name, url


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(sql)


def _databases() -> list[tuple[str, dict, str | None]]:
    """(label, environment, PostgreSQL database to drop afterwards)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    found = [("SQLite", env, None)]
    if url := os.environ.get("DATABASE_URL"):
        bench_url, name, server = _postgres_bench_url(url)
        _admin(server, f'DROP DATABASE IF EXISTS "{name}"')
        _admin(server, f'CREATE DATABASE "{name}"')
        found.append(("PostgreSQL", {**env, "DATABASE_URL": bench_url}, name))
    return found


def _run(args: list[str], env: dict) -> list[dict]:
    var = tempfile.mkdtemp(prefix="kaoping-bench-")
    try:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env={**env, "DJANGO_VAR_DIR": var, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
        )
    finally:
        shutil.rmtree(var, ignore_errors=True)
    if done.returncode:
        print(done.stdout[-3000:], done.stderr[-5000:], sep="\n", file=sys.stderr)
        return [{"path": f"FAILED: {' '.join(args)}", "value": None}]
    rows = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            rows.append(json.loads(line))
        elif line.startswith("LOAD "):
            rows.append({"load": json.loads(line[5:])})
    return rows


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "stmts":
        return f"{value:.0f}"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit in ("MB", "pages"):
        return f"{value:.0f} {unit}"
    return f"{value:.2f} s"


def _table(results: list[tuple[str, dict]], load: dict | None, seconds: float) -> None:
    head = f"{'path':<{W}}{'db':<12}{'now':>11}{'floor':>11}{'ratio':>8}  {'goal':<30}met"
    print("\n" + head + "\n" + "-" * (len(head) + 2))
    for db, r in results:
        if r.get("value") is None:
            print(f"{r['path']:<{W}}{db:<12}")
            continue
        unit, floor, goal = r["unit"], r.get("floor"), r.get("ratio_goal")
        ratio = r["value"] / floor if floor else None
        if goal is not None and ratio is not None:
            met = "yes" if ratio <= goal else "NO"
        elif r["goal"].startswith("≤") and unit in ("stmts", "s", "MB", "pages"):
            met = "yes" if r["value"] <= float(r["goal"].split()[1]) else "NO"
        elif r["goal"] == "0":
            met = "yes" if r["value"] == 0 else "NO"
        else:
            met = ""
        print(
            f"{r['path']:<{W}}{db:<12}{_fmt(r['value'], unit):>11}"
            f"{_fmt(floor, unit) if floor else '—':>11}"
            f"{f'{ratio:.1f}×' if ratio else '—':>8}  {r['goal']:<30}{met}"
        )
    if load:
        met = (
            "yes" if load["p95"] is not None and load["p95"] < 150 and not load["errors"] else "NO"
        )
        print(
            f"{'load: ' + str(load['users']) + ' secretaries autosaving every 2 s':<{W}}"
            f"{load['database']:<12}{'p50 ' + format(load['p50'] or 0, '.0f'):>11}"
            f"{'p95 ' + format(load['p95'] or 0, '.0f'):>11}"
            f"{'p99 ' + format(load['p99'] or 0, '.0f'):>10}"
            f"{'p95 < 150 ms, 0 errors':<30}{met}"
        )
        print(
            f"  {load['autosaves']} autosaves in {load['seconds']} s ({load['per_second']}/s), "
            f"errors {load['errors']}, values read back {load['read_back']} (ms)"
        )
    print(f"\n(bench took {seconds:.0f} s)")


def main() -> None:
    started = time.perf_counter()
    results: list[tuple[str, dict]] = []
    load = None
    databases = _databases()
    try:
        if {"load"} != ONLY:
            for label, env, _ in databases:
                print(f"measuring on {label} …", file=sys.stderr, flush=True)
                results += [(label, r) for r in _run(["tests/bench/paths.py"], env)]
        if not ONLY or "load" in ONLY:
            label, env, _ = databases[-1]  # PostgreSQL when there is one
            print(f"load test on {label} …", file=sys.stderr, flush=True)
            rows = _run(["-m", "tests.bench", "load"], env)
            load = next((r["load"] for r in rows if "load" in r), None)
            if load is None:
                results += [(label, r) for r in rows]
    finally:
        for _, _, name in databases:
            if name:
                _admin(os.environ["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{name}"')
    _table(results, load, time.perf_counter() - started)


def load_only() -> None:
    """`python -m tests.bench load`: run by main() in a subprocess on its database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_VAR_DIR", tempfile.mkdtemp(prefix="kaoping-bench-"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from tests.bench.load import load_test

    load_test()


if __name__ == "__main__":
    if sys.argv[1:] == ["load"]:
        load_only()
    else:
        main()
