"""A document's consequence rules are rubric data: loaded, exported, copied and frozen with
the version, and consolidation reads the campaign's version, never the rubric's code."""

import pytest

from rubrics import services
from rubrics.models import RubricFrozen, RubricVersion
from rubrics.serialization import export_document
from tests.rubrics.conftest import version_of


def test_shipped_documents_carry_their_rules(rubrics):
    fuling = version_of("fuling-2017").consequence_rules
    assert fuling["basis"].startswith("涪区委组〔2017〕86号")
    assert [r["code"] for r in fuling["rules"]] == [
        "talk_reminder",
        "admonish",
        "adjust_secretary",
    ]
    assert version_of("xibei-2025").consequence_rules["reratings"] == [
        {"from": "争先牌", "to": "达标牌"}
    ]
    assert version_of("hegang-2020").consequence_rules == {}  # 002 states no consequences


def test_rules_are_exported_copied_and_frozen(rubrics, dept_admin):
    fuling = version_of("fuling-2017")
    assert export_document(fuling)["consequence_rules"] == fuling.consequence_rules
    draft = services.new_version(fuling, by=dept_admin)
    assert draft.consequence_rules == fuling.consequence_rules
    fuling.consequence_rules = {}
    with pytest.raises(RubricFrozen):
        fuling.save()
    with pytest.raises(RubricFrozen):
        RubricVersion.objects.filter(pk=fuling.pk).update(consequence_rules={})
