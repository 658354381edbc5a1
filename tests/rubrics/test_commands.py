"""`export_rubric` and `score` as an operator runs them."""

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from rubrics.selectors import rules_for
from rubrics.sheets import blank_score_sheet
from tests.rubrics.conftest import version_of

ROOT = Path(__file__).resolve().parents[2]


def run_score(args, tmp_path, db_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_VAR_DIR": str(db_path)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "score", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """A real SQLite database with the rubrics, for commands run as separate processes."""
    var = tmp_path_factory.mktemp("var")
    env = {**os.environ, "DJANGO_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    # One process for both commands: each Django start-up costs seconds on a busy machine.
    script = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); call_command('load_rubrics')"
    )
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return var


def write(tmp_path, data) -> str:
    path = tmp_path / "entry.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_real_migrations_build_the_schema_and_create_no_account(cli_db):
    """The suite's own databases are built from the models (--no-migrations); this one ran
    every migration file from scratch, as `make run` and an upgrade do."""
    from django.db.migrations.loader import MigrationLoader

    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    with sqlite3.connect(cli_db / "db.sqlite3") as db:
        applied = set(db.execute("SELECT app, name FROM django_migrations"))
        accounts = db.execute("SELECT count(*) FROM branches_user").fetchone()[0]
        versions = db.execute("SELECT count(*) FROM rubrics_rubricversion").fetchone()[0]
    assert on_disk <= applied, sorted(on_disk - applied)
    assert accounts == 0  # migrations create no account
    assert versions > 0  # and the shipped rubrics load onto them


def test_score_prints_the_result(cli_db, tmp_path):
    entry = write(tmp_path, {"scores": {"star": 95, "inspection": 85, "pairing": 88}})
    done = run_score(["xibei-2025", entry], tmp_path, cli_db)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["total"] == 89.9 and result["grade"] == "达标牌" and result["passed"] is True
    assert set(result) == {
        "total",
        "max",
        "grade",
        "passed",
        "vetoes",
        "unmet_key_items",
        "sections",
        "reasons",
    }


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"star": 101, "inspection": 85, "pairing": 88}, "star：101 超出范围"),
        ({"star": 95.555, "inspection": 85, "pairing": 88}, "star：95.555 不符合评分步长 0.01"),
        ({"star": 95, "inspection": 85, "pairing": 88, "stars": 1}, "stars：没有这个指标编码"),
        ({"star": 95, "inspection": 85}, "以下指标尚未打分：pairing"),
    ],
    ids=["out-of-range", "off-step", "unknown-code", "missing-item"],
)
def test_score_refuses_bad_input_with_exit_2(cli_db, tmp_path, scores, message):
    done = run_score(["xibei-2025", write(tmp_path, {"scores": scores})], tmp_path, cli_db)
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr


def test_score_fuling_with_veto_free_json_and_parts(rubrics, capsys, tmp_path):
    version = version_of("fuling-2017")
    scores = {}
    for item in rules_for(version).items():
        for code, points in [(p.code, p.points) for p in item.parts] or [(item.code, item.points)]:
            scores[code] = float(points)
    scores["2.5"] = 4.5
    call_command("score", "fuling-2017", write(tmp_path, {"scores": scores}))
    result = json.loads(capsys.readouterr().out)
    assert result["total"] == 99.5
    assert result["grade"] == "基本合格"
    assert result["unmet_key_items"] == ["2.5"]
    assert result["sections"][1] == {"code": "2", "total": 12.5, "max": 13}


def test_score_xining_veto(rubrics, capsys, tmp_path):
    scores = {f"C{n:02d}": 5 for n in range(1, 16)} | {f"P{n}": 5 for n in range(1, 6)}
    call_command("score", "xining-2021", write(tmp_path, {"scores": scores, "vetoes": ["V3"]}))
    result = json.loads(capsys.readouterr().out)
    assert (result["total"], result["grade"], result["vetoes"]) == (100, "不达标", ["V3"])


def test_score_reads_a_filled_offline_sheet(rubrics, capsys, tmp_path):
    version = version_of("hegang-2020")
    book = openpyxl.load_workbook(io.BytesIO(blank_score_sheet(version, rules_for(version))))
    sheet = book["评分表"]
    for row in sheet.iter_rows(min_row=2):
        row[6].value = "基本达标" if row[0].value == "7" else "达标"
    path = tmp_path / "filled.xlsx"
    book.save(path)
    call_command("score", "hegang-2020", str(path))
    result = json.loads(capsys.readouterr().out)
    assert result["total"] == 37.5 and result["max"] == 38
    assert result["sections"][1] == {"code": "2", "total": 4.5, "max": 5}


def test_score_refuses_a_sheet_of_another_rubric(rubrics, tmp_path):
    version = version_of("zzb-7-measures")
    path = tmp_path / "other.xlsx"
    path.write_bytes(blank_score_sheet(version, rules_for(version)))
    with pytest.raises(SystemExit) as info:
        call_command("score", "hegang-2020", str(path))
    assert info.value.code == 2


def test_export_rubric_json_layout(rubrics, capsys):
    call_command("export_rubric", "fuling-2017", "--version", "2", "--format", "json")
    doc = json.loads(capsys.readouterr().out)
    assert (doc["code"], doc["version"], doc["max"]) == ("fuling-2017", 2, 100)
    assert len(doc["sections"]) == 8
    item = doc["sections"][3]["items"][0]
    assert item["code"] == "4.1" and item["key"] is True and item["veto"] is False
    assert item["parts"][0] == {"code": "4.1.a", "text": "党员大会每季度1次", "points": 4}
    assert doc["grades"][0] == {"label": "合格", "min": 80, "passed": True}
    call_command("export_rubric", "xining-2021")
    xining = json.loads(capsys.readouterr().out)
    vetoes = [i for s in xining["sections"] for i in s["items"] if i["veto"]]
    assert len(vetoes) == 7 and vetoes[0]["code"] == "V1"


def test_export_rubric_unknown_code_exits_2(rubrics, capsys):
    with pytest.raises(SystemExit) as info:
        call_command("export_rubric", "no-such")
    assert info.value.code == 2
    assert "没有编码为“no-such”的考评标准" in capsys.readouterr().err
