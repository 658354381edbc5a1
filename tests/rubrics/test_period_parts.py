"""Parts required in every period (涪陵 004, 7.4: "至少每季度开展1次…（每次0.5分）"): the ▲
item is met only when every quarter's part is met, whatever the capped points say."""

import copy
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from rubrics import scoring
from rubrics.models import IndicatorPart, Rubric, VersionStatus
from rubrics.selectors import rules_for
from rubrics.services import FIXTURE_DIR, load_document, shipped_document
from tests.rubrics.conftest import version_of


def full_scores(rules: scoring.Rules) -> dict[str, float]:
    scores = {}
    for item in rules.items():
        for code, points in [(p.code, p.points) for p in item.parts] or [(item.code, item.points)]:
            scores[code] = float(points)
    return scores


@pytest.mark.django_db
def test_load_rubrics_on_a_database_with_the_frozen_first_version_adds_version_2():
    """An existing installation holds 涪陵 version 1 (published, frozen, no periods):
    load_rubrics adds version 2 beside it and leaves version 1 as it was."""
    old = copy.deepcopy(shipped_document("fuling-2017"))
    old["version"] = 1
    for section in old["sections"]:
        for item in section["items"]:
            item.pop("period_activity", None)
            for part in item.get("parts", []):
                part.pop("period", None)
    first, created = load_document(old)
    assert created and first.status == VersionStatus.PUBLISHED
    call_command("load_rubrics", verbosity=0)
    versions = Rubric.objects.get(code="fuling-2017").versions.order_by("number")
    assert [(v.number, v.status) for v in versions] == [(1, "published"), (2, "published")]
    assert not IndicatorPart.objects.filter(indicator__version=first).exclude(period="").exists()
    periods = IndicatorPart.objects.filter(indicator__version=versions[1], code__startswith="7.4")
    assert [p.period for p in periods.order_by("position")] == [
        "第一季度",
        "第二季度",
        "第三季度",
        "第四季度",
    ]
    # Version 1 scores as it always did: two quarters of four meet it.
    rules = rules_for(first)
    values = {k: Decimal(str(v)) for k, v in full_scores(rules).items()}
    values.update({"7.4.c": Decimal(0), "7.4.d": Decimal(0)})
    assert scoring.score(rules, scoring.Entry(values)).grade == "合格"
    call_command("load_rubrics", verbosity=0)  # idempotent
    assert versions.count() == 2


def test_score_command_at_least_one_display_every_quarter_or_the_key_item_is_unmet(
    rubrics, capsys, tmp_path
):
    """ "至少每季度开展1次…宣传展示（每次0.5分）": displays in the first two quarters fill
    the item's 1 point, yet the third and fourth quarters have none, so ▲ 7.4 is not met
    and a 100-point branch is 基本合格, the verdict naming the missing quarters."""
    scores = full_scores(rules_for(version_of("fuling-2017")))
    scores.update({"7.4.c": 0, "7.4.d": 0})
    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps({"scores": scores}), encoding="utf-8")
    call_command("score", "fuling-2017", str(entry))
    result = json.loads(capsys.readouterr().out)
    assert result["total"] == 100
    assert result["unmet_key_items"] == ["7.4"]
    assert result["grade"] == "基本合格"
    assert "▲项 7.4：第三、第四季度无宣传展示，未达标" in result["reasons"]


def test_every_quarter_met_is_full_and_met(rubrics):
    rules = rules_for(version_of("fuling-2017"))
    values = {k: Decimal(str(v)) for k, v in full_scores(rules).items()}
    result = scoring.score(rules, scoring.Entry(values))
    assert (result.total, result.grade, result.unmet_key_items) == (100, "合格", ())
    values["7.4.b"] = Decimal(0)
    result = scoring.score(rules, scoring.Entry(values))
    item = next(r for r in result.items if r.code == "7.4")
    assert (item.score, item.shortfall, item.missed_periods) == (1, 0, ("第二季度",))
    assert "▲项 7.4：第二季度无宣传展示，未达标" in result.reasons


def test_periods_join_as_a_person_lists_them():
    assert scoring.join_periods(("第三季度", "第四季度")) == "第三、第四季度"
    assert scoring.join_periods(("第一季度",)) == "第一季度"
    assert scoring.join_periods(("1月", "3月")) == "1、3月"


def test_no_shipped_key_item_caps_per_period_parts_without_requiring_every_period():
    """The audit of the shipped rubrics: a ▲ item whose parts add up to more than its
    points (a per-period count capped, as 7.4) must mark every part with its period;
    otherwise two quarters of four would meet it."""
    capped = []
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for section in doc["sections"]:
            for item in section["items"]:
                parts = item.get("parts", [])
                total = sum((Decimal(str(p["points"])) for p in parts), Decimal(0))
                if item.get("key") and parts and total > Decimal(str(item["points"])):
                    capped.append((doc["code"], item["code"]))
                    assert all(p.get("period") for p in parts), (doc["code"], item["code"])
                    assert item.get("period_activity")
    assert capped == [("fuling-2017", "7.4")]


def test_the_rubric_page_says_every_quarter_is_required(rubrics, leader, client):
    client.force_login(leader)
    page = client.get("/rubrics/fuling-2017/v2/").content.decode()
    assert "第三季度须达到" in page
    assert "每期须开展宣传展示" in page


def test_the_excel_draft_keeps_the_periods(rubrics):
    from rubrics.sheets import export_version, parse_version_sheet

    sections, report = parse_version_sheet(export_version(version_of("fuling-2017")))
    assert not [r for r in report if r["errors"]]
    item = next(i for s in sections for i in s["items"] if i["code"] == "7.4")
    assert item["period_activity"] == "宣传展示"
    assert [p["period"] for p in item["parts"]][2:] == ["第三季度", "第四季度"]
