"""The shipped rubrics, loaded into a real database, against the source documents."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from rubrics.models import Indicator, IndicatorKind, Rubric, VersionStatus
from rubrics.scoring import rules_from_document
from rubrics.selectors import rules_for
from tests.rubrics.conftest import version_of

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rubrics"


def seed(name: str) -> str:
    """A source document's text; the test is skipped when the documents are not beside the repo."""
    found = sorted(SEEDS.glob(f"{name}_*.txt")) if SEEDS.is_dir() else []
    if not found:
        pytest.skip(f"source documents not found: {SEEDS}/{name}_*.txt (../shared/seeds is absent)")
    text = found[0].read_text("utf-8")
    return re.sub(r"\s+", "", text)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_loading_twice_changes_nothing(rubrics):
    before = Indicator.objects.count()
    call_command("load_rubrics", verbosity=0)
    assert Indicator.objects.count() == before
    assert Rubric.objects.count() == 7


def test_fuling_structure(rubrics):
    version = version_of("fuling-2017")
    items = list(version.indicators.exclude(kind=IndicatorKind.VETO))
    assert len(items) == 55
    assert sum(i.is_key for i in items) == 35
    sections = [(s.code, s.title, s.points) for s in version.sections.all()]
    assert [p for *_, p in sections] == [8, 13, 20, 18, 12, 15, 8, 6]
    assert sections[3][1] == "规范组织生活"
    for section in version.sections.all():
        assert sum(i.points for i in section.indicators.all()) == section.points
    meetings = version.indicators.get(code="4.1")
    assert [(p.code, p.points) for p in meetings.parts.all()] == [
        ("4.1.a", 4),
        ("4.1.b", 3),
        ("4.1.c", 2),
        ("4.1.d", 2),
    ]
    assert meetings.points == 11 and meetings.is_key
    assert [(b.label, b.minimum) for b in version.bands.all()] == [
        ("合格", 80),
        ("基本合格", 60),
        ("不合格", None),
    ]
    assert version.key_items_cap_top and version.status == VersionStatus.PUBLISHED


def test_fuling_texts_are_as_written(rubrics):
    source = seed("004")
    for ind in version_of("fuling-2017").indicators.all():
        assert squash(ind.text) in source, ind.code


def test_xining_structure_and_vetoes_word_for_word(rubrics):
    version = version_of("xining-2021")
    scored = version.indicators.exclude(kind=IndicatorKind.VETO)
    vetoes = version.indicators.filter(kind=IndicatorKind.VETO)
    assert scored.count() == 20 and vetoes.count() == 7
    assert [i.code for i in scored] == [f"C{n:02d}" for n in range(1, 16)] + [
        f"P{n}" for n in range(1, 6)
    ]
    assert all(i.points == 5 for i in scored)
    assert scored.filter(kind=IndicatorKind.CUSTOM).count() == 5
    assert scored.filter(is_template=True).count() == 15
    source = seed("000").replace(",", "，")
    for veto in vetoes:
        assert squash(veto.text) in source, veto.code
    assert [s.title for s in version.sections.all()][:4] == [
        "共性指标：有坚强有力的领导班子",
        "共性指标：有素质过硬的党员队伍",
        "共性指标：有健全完善的工作机制",
        "共性指标：有稳定有效的基础保障",
    ]
    # The pass mark is not in the document: a default the organization confirms.
    assert version.status == VersionStatus.DRAFT and version.bands_assumed
    assert [(b.label, b.minimum) for b in version.bands.all()] == [("达标", 80), ("不达标", None)]


def test_hegang_structure(rubrics):
    version = version_of("hegang-2020")
    areas = list(version.sections.all())
    assert len(areas) == 10
    assert [a.indicators.count() for a in areas] == [3, 5, 3, 4, 4, 2, 6, 3, 3, 5]
    assert [i.code for i in version.indicators.all()] == [str(n) for n in range(1, 39)]
    assert areas[1].slogan == "组织设置全覆盖，同步对接早落实，换届提醒建机制，智慧党建促提升。"
    point7 = version.indicators.get(code="7")
    assert point7.text == "建立党组织换届提醒督促机制"
    source = seed("002")
    for ind in version.indicators.all():
        assert squash(ind.text) in source
        for standard in ind.guidance.split("\n"):
            assert squash(standard) in source, ind.code
    assert version.level_points == {"达标": "1", "基本达标": "0.5", "未达标": "0"}


def test_xibei_and_seven_measures(rubrics):
    xibei = version_of("xibei-2025")
    assert [(i.code, i.weight) for i in xibei.indicators.all()] == [
        ("star", Decimal("0.4")),
        ("inspection", Decimal("0.3")),
        ("pairing", Decimal("0.3")),
    ]
    scales = {(b.scale, b.label): b.minimum for b in xibei.bands.all()}
    assert scales[("pairing", "达标")] == 80 and scales[("member_post", "履职优秀")] == 85
    zzb = version_of("zzb-7-measures")
    assert zzb.rubric.assesses == ["committee"]
    assert zzb.indicators.count() == 7
    assert (
        zzb.indicators.get(code="5").text
        == "由县级党委安排、基层党委负责每年对所属党支部进行1次“过筛子”。"
    )


def test_standardization_ten_goals_word_for_word(rubrics):
    """003's 三、目标任务: ten goals, each a checklist point with its paragraph as guidance."""
    version = version_of("std-003-goals")
    items = list(version.indicators.all())
    assert [i.code for i in items] == [str(n) for n in range(1, 11)]
    assert items[0].text == "推进政治建设标准化。"
    assert items[2].text == "推进组织生活标准化。"
    assert items[-1].text == "推进考核评价标准化。"
    assert "注重计划报备，全程纪实，定期报告" in items[2].guidance
    source = seed("003")
    for ind in items:
        assert squash(ind.text) in source and squash(ind.guidance) in source, ind.code
    assert version.method == "checklist" and version.status == VersionStatus.PUBLISHED
    assert version.level_points == {"达标": "1", "基本达标": "0.5", "未达标": "0"}


@pytest.mark.parametrize(
    "code",
    ["fuling-2017", "xining-2021", "hegang-2020", "xibei-2025", "zzb-7-measures", "std-003-goals"],
)
def test_database_rules_equal_the_document_rules(rubrics, code):
    doc = json.loads((FIXTURES / f"{code}.json").read_text("utf-8"))
    assert rules_for(version_of(code)) == rules_from_document(doc)


def test_rules_load_in_a_bounded_number_of_queries(rubrics, django_assert_max_num_queries):
    from rubrics.models import RubricVersion
    from rubrics.selectors import version_tree

    pk = RubricVersion.objects.get(rubric__code="fuling-2017").pk
    # The first read of a published version loads its tree (the version row, then sections,
    # indicators, parts and bands); it is kept, so a later read asks for the row alone.
    # (An earlier test may have read it already: the bound holds either way.)
    with django_assert_max_num_queries(6):
        rules_for(version_tree(pk))
    with django_assert_max_num_queries(1):
        rules_for(version_tree(pk))


def test_meeting_items_name_the_requirements_they_measure(rubrics):
    """Fuling 4.1 a–d, 4.2 (and 4.3, 4.5, 5.6) and Hegang 20–21 are scored from meeting
    records; the links are rubric data, versioned with it, and copied to a new version."""
    from rubrics.services import check_publishable, new_version

    fuling = version_of("fuling-2017")
    links = {(r["code"], r["meeting"]) for r in fuling.record_requirements}
    assert {
        ("4.1.a", "party_congress"),
        ("4.1.b", "committee"),
        ("4.1.c", "group"),
        ("4.1.d", "lecture"),
        ("4.2", "secretary_lecture"),
    } <= links
    hegang = version_of("hegang-2020")
    assert {r["code"] for r in hegang.record_requirements} == {"20", "21"}
    assert check_publishable(fuling) == [] and check_publishable(hegang) == []
    from branches.models import User

    draft = new_version(fuling, by=User.objects.create(username="copy"))
    assert draft.record_requirements == fuling.record_requirements
    draft.record_requirements = [{"code": "9.9", "meeting": "tea_party"}]
    assert check_publishable(draft) == [
        "组织生活记录计分：没有编码为“9.9”的指标。",
        "组织生活记录计分：没有“tea_party”这种会议。",
    ]
