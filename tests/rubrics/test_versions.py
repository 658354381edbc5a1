"""Versions: a published version is frozen by every path; drafts change; diffs; Excel."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from branches import importing
from branches.models import AuditEntry
from rubrics import services
from rubrics.importing import ImportKind
from rubrics.models import (
    GradeBand,
    Indicator,
    IndicatorPart,
    RubricFrozen,
    RubricVersion,
    Section,
    VersionStatus,
)
from rubrics.selectors import version_diff, version_tree
from rubrics.sheets import export_version
from tests.rubrics.conftest import version_of


@pytest.fixture
def fuling(rubrics):
    return version_of("fuling-2017")


def test_published_version_refuses_model_saves(fuling):
    item = fuling.indicators.get(code="1.1")
    item.points = Decimal(2)
    with pytest.raises(RubricFrozen):
        item.save()
    with pytest.raises(RubricFrozen):
        fuling.sections.first().delete()
    fuling.notes = "改"
    with pytest.raises(RubricFrozen):
        fuling.save()
    with pytest.raises(RubricFrozen):
        Indicator.objects.create(
            version=fuling, section=fuling.sections.first(), code="9.9", text="新", points=1
        )


def test_published_version_refuses_bulk_paths(fuling):
    with pytest.raises(RubricFrozen):
        Indicator.objects.filter(version=fuling).update(points=0)
    with pytest.raises(RubricFrozen):
        IndicatorPart.objects.filter(indicator__version=fuling).update(points=1)
    with pytest.raises(RubricFrozen):
        GradeBand.objects.filter(version=fuling).update(minimum=70)
    items = list(fuling.indicators.all()[:2])
    for item in items:
        item.text = "改"
    with pytest.raises(RubricFrozen):
        Indicator.objects.bulk_update(items, ["text"])
    with pytest.raises(RubricFrozen):
        RubricVersion.objects.filter(pk=fuling.pk).update(status=VersionStatus.DRAFT)
    with pytest.raises(RubricFrozen):
        Section.objects.filter(version=fuling).delete()
    assert fuling.indicators.get(code="1.1").points == 1


def test_published_version_refuses_admin_changes(fuling, superuser, client):
    client.force_login(superuser)
    item = fuling.indicators.get(code="1.1")
    page = client.get(reverse("admin:rubrics_indicator_change", args=[item.pk]))
    assert page.status_code == 200 and "保存" not in page.content.decode().split("submit-row")[-1]
    response = client.post(
        reverse("admin:rubrics_indicator_change", args=[item.pk]), {"text": "改", "points": "3"}
    )
    assert response.status_code == 403
    assert Indicator.objects.get(pk=item.pk).points == 1


def test_published_version_refuses_excel_import(fuling, dept_admin):
    job = importing.start_import(
        by=dept_admin,
        kind=ImportKind.RUBRIC,
        filename="x.xlsx",
        content=export_version(fuling),
        target_id=fuling.pk,
    )
    assert not job.summary["ok"]
    assert "只能导入到草稿版本" in str(job.summary["rows"])
    with pytest.raises(importing.ImportRejected):
        importing.apply_import(job, by=dept_admin)


def test_new_version_is_an_editable_copy_and_the_diff_shows_changes(fuling, dept_admin):
    draft = services.new_version(fuling, by=dept_admin)
    assert (draft.number, draft.status, draft.copied_from_id) == (3, "draft", fuling.pk)
    assert version_diff(fuling, version_tree(draft.pk)) == {
        "added": [],
        "removed": [],
        "changed": [],
        "bands": None,
    }
    item = draft.indicators.get(code="1.4")
    item.text, item.points = "改写后的指标", Decimal("1.5")
    item.save()
    draft.indicators.get(code="1.8").delete()
    Indicator.objects.create(
        version=draft,
        section=item.section,
        code="1.9",
        text="新增指标",
        points=Decimal("0.5"),
        position=99,
    )
    diff = version_diff(fuling, version_tree(draft.pk))
    assert [a["code"] for a in diff["added"]] == ["1.9"]
    assert [r["code"] for r in diff["removed"]] == ["1.8"]
    changed = {c["code"]: {f: (a, b) for f, a, b in c["fields"]} for c in diff["changed"]}
    assert changed["1.4"]["分值"] == ("1", "1.5")
    assert changed["1.4"]["指标内容"][1] == "改写后的指标"
    assert fuling.indicators.get(code="1.4").points == 1  # the published one is untouched


def test_publish_requires_confirming_assumed_pass_mark(rubrics, dept_admin):
    xining = version_of("xining-2021")
    with pytest.raises(services.RubricError, match="确认"):
        services.publish_version(xining, by=dept_admin)
    published = services.publish_version(xining, by=dept_admin, confirm_assumption=True)
    assert published.status == VersionStatus.PUBLISHED and published.published_by == dept_admin
    assert AuditEntry.objects.filter(
        model="考评标准版本", object_id=str(xining.pk), action="update", actor=dept_admin
    ).exists()


def test_publish_refuses_inconsistent_draft(fuling, dept_admin):
    draft = services.new_version(fuling, by=dept_admin)
    item = draft.indicators.get(code="1.1")
    item.points = Decimal(2)
    item.save()
    with pytest.raises(
        services.RubricError, match="第 1 部分“规范组织设置”分值为 8，但所含指标合计 9"
    ):
        services.publish_version(draft, by=dept_admin)


def test_only_one_draft_at_a_time(fuling, dept_admin):
    services.new_version(fuling, by=dept_admin)
    with pytest.raises(services.RubricError, match="已有一个草稿"):
        services.new_version(fuling, by=dept_admin)


def _sheet_rows(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("code", ["fuling-2017", "hegang-2020", "xibei-2025", "xining-2021"])
def test_excel_export_import_export_is_identical(rubrics, dept_admin, code):
    published = version_of(code)
    first = export_version(published)
    if published.status == VersionStatus.DRAFT:
        draft = published  # xining ships as a draft: import into it directly
    else:
        draft = services.new_version(published, by=dept_admin)
    # Empty the draft, then import the export of the published version into it.
    for section in draft.sections.all():
        section.delete()
    job = importing.start_import(
        by=dept_admin, kind=ImportKind.RUBRIC, filename="v.xlsx", content=first, target_id=draft.pk
    )
    assert job.summary["ok"], [r for r in job.summary["rows"] if r["errors"]]
    importing.apply_import(job, by=dept_admin)
    second = export_version(version_tree(draft.pk))
    assert _sheet_rows(second) == _sheet_rows(first)


def test_excel_import_row_errors(fuling, dept_admin):
    draft = services.new_version(fuling, by=dept_admin)
    book = openpyxl.load_workbook(io.BytesIO(export_version(fuling)))
    sheet = book.worksheets[0]
    sheet["G3"] = "一分"  # 分值 of the second item
    sheet["E5"] = "1.1"  # duplicate code
    sheet["N6"] = "5.x｜缺分值"  # bad part
    out = io.BytesIO()
    book.save(out)
    job = importing.start_import(
        by=dept_admin,
        kind=ImportKind.RUBRIC,
        filename="bad.xlsx",
        content=out.getvalue(),
        target_id=draft.pk,
    )
    errors = {r["row"]: " ".join(r["errors"]) for r in job.summary["rows"] if r["errors"]}
    assert "“分值”应为数字" in errors[3]
    assert "与第 2 行重复" in errors[5]
    assert "格式应为" in errors[6]
    assert draft.indicators.count() == 55  # nothing changed


def test_slot_texts_and_empty_slots(rubrics, tree, dept_admin, dept_admin_e2):
    xining = version_of("xining-2021")
    slots = list(xining.indicators.filter(kind="custom"))
    assert len(services.empty_slots(xining, tree.e1)) == 5
    for slot in slots[:4]:
        services.set_slot_text(
            by=dept_admin, indicator=slot, enterprise=tree.e1, text=f"{slot.code} 安全生产无事故"
        )
    assert [s.code for s in services.empty_slots(xining, tree.e1)] == ["P5"]
    with pytest.raises(services.RubricError, match="管理范围"):
        services.set_slot_text(
            by=dept_admin_e2, indicator=slots[4], enterprise=tree.e1, text="越权"
        )
    with pytest.raises(services.RubricError, match="不是个性指标"):
        services.set_slot_text(
            by=dept_admin, indicator=xining.indicators.get(code="C01"), enterprise=tree.e1, text="x"
        )
