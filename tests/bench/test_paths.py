"""The bench's group-scale parts run, at a few branches (no time is asserted: `make bench`
measures; this only proves that its code still works against the models and pages)."""

import io
import json
from contextlib import redirect_stdout

import pytest
from django.core.management import call_command

from tests.bench import paths


@pytest.fixture
def demo(db):
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)


@pytest.fixture
def in_process(monkeypatch):
    """The fresh process each memory figure is taken in, run in this one instead (the
    test database is not visible to another process): the figures it prints, parsed."""

    def child(args):
        out = io.StringIO()
        with redirect_stdout(out):
            paths.child_main(args[0], int(args[1]))
        return json.loads(out.getvalue().strip().splitlines()[-1])

    monkeypatch.setattr(paths, "child", child)
    monkeypatch.setattr(paths, "RUNS", 3)


def rows(capsys) -> dict[str, dict]:
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    return {r["path"].strip(): r for r in printed}


def test_consolidation_and_summary(demo, in_process, monkeypatch, capsys):
    monkeypatch.setattr(paths, "SUMMARY_BRANCHES", 8)
    campaign = paths.consolidation(8)
    paths.summary(campaign)
    found = rows(capsys)
    floor = found["floor: its 8 results, 8 consequences, 72 items"]
    assert found["consolidation 8 × 61 codes × 4 stages"]["floor"] > floor["value"] > 0
    assert found["writes when nothing changed"]["value"] == 0
    assert found["its pages"]["value"] >= 1
    assert found["peak RSS growth 2 → 8"]["value"] > 0


def test_zip_and_lists(demo, in_process, monkeypatch, capsys):
    monkeypatch.setattr(paths, "ZIP_BRANCHES", 2)
    paths.branch_zip()
    paths.lists(30)
    found = rows(capsys)
    assert found["zip of branch reports, peak RSS 1 → 2"]["value"] > 0
    (listed,) = (r for name, r in found.items() if name.startswith("rectification list, "))
    assert listed["value"] > 0 and listed["ratio_goal"] == 2
