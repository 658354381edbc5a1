"""The rules a rubric written by an organization must obey: one set of checks, used by the
pages, the Excel import and publishing alike; the shipped rubrics obey them too."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rubrics import services
from rubrics.models import Method, RubricVersion
from rubrics.services import BandSpec, ItemSpec, RubricError
from rubrics.sheets import export_version, import_template
from tests.rubrics.conftest import version_of

D = Decimal


def bands(*rows):
    return [BandSpec(label, None if m is None else D(m), passed) for label, m, passed in rows]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ((("合格", "80", True), ("不合格", "60", False)), "最低一档“不合格”不应设下限"),
        ((("合格", "80", True), ("基本合格", None, True), ("不合格", None, False)), "应填写下限"),
        ((("合格", "60", True), ("基本合格", "80", True), ("不合格", None, False)), "从高到低"),
        ((("合格", "80", True), ("基本合格", "80", True), ("不合格", None, False)), "从高到低"),
        ((("合格", "120", True), ("不合格", None, False)), "超过满分 100"),
        ((("合格", "0", True), ("不合格", None, False)), "下限应大于 0"),
        ((("合格", "80", True), ("合格", None, False)), "不能重复"),
        ((("较差", "80", False), ("差", None, False)), "至少应有一档视为达标"),
        ((), "没有设置等次"),
    ],
)
def test_bands_cover_the_range_without_gaps(rows, message):
    problems = services.band_problems(bands(*rows), method=Method.POINTS, max_total=D(100))
    assert any(message in p for p in problems), problems


def test_good_bands_pass_and_a_checklist_needs_none():
    good = bands(("合格", "80", True), ("基本合格", "60", True), ("不合格", None, False))
    assert services.band_problems(good, method=Method.POINTS, max_total=D(100)) == []
    assert services.band_problems([], method=Method.CHECKLIST, max_total=D(3)) == []


def item(**fields):
    return ItemSpec(**({"code": "1.1", "text": "三会一课", "points": D(5), "step": D("0.5"),
                        "kind": "scored"} | fields))  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "method", "message"),
    [
        ({"points": D(0)}, Method.POINTS, "分值应大于 0"),
        ({"points": D(101)}, Method.POINTS, "不超过 100"),
        ({"step": D(0)}, Method.POINTS, "评分步长应大于 0"),
        ({"points": D(5), "step": D(2)}, Method.POINTS, "整数倍"),
        ({"kind": "veto", "points": D(1)}, Method.POINTS, "分值应为 0"),
        ({"kind": "veto", "points": D(0), "key": True}, Method.POINTS, "不能同时是▲"),
        ({"kind": "checklist", "key": True}, Method.CHECKLIST, "▲重点项只用于计分制"),
        ({"kind": "scored"}, Method.CHECKLIST, "指标类型应为"),
        ({"kind": "composite_input", "points": D(100)}, Method.COMPOSITE, "权重"),
        (
            {"parts": ({"code": "a", "points": D(2)}, {"code": "a", "points": D(2)})},
            Method.POINTS,
            "分项",
        ),
    ],
)
def test_item_rules(fields, method, message):
    problems = services.item_problems(item(**fields), method=method)
    assert any(message in p for p in problems), problems


def test_level_rules():
    assert services.level_problems({"达标": "1", "基本达标": "0.5", "未达标": "0"}) == []
    assert "至少要有两个档次" in "".join(services.level_problems({"达标": "1"}))
    assert "比例 1" in "".join(services.level_problems({"好": "0.8", "差": "0"}))
    assert "0 至 1" in "".join(services.level_problems({"达标": "2", "未达标": "0"}))


@pytest.mark.parametrize(
    "code",
    [
        "fuling-2017",
        "hegang-2020",
        "std-003-goals",
        "xibei-2025",
        "xibei-inspection-2025",
        "xining-2021",
        "zzb-7-measures",
    ],
)
def test_every_shipped_rubric_obeys_the_rules_written_ones_obey(rubrics, code):
    assert services.check_publishable(version_of(code)) == []


def test_a_published_version_refuses_every_edit(rubrics, dept_admin):
    fuling = version_of("fuling-2017")
    with pytest.raises(RubricError, match="只能修改草稿版本"):
        services.set_grade_rules(
            fuling,
            by=dept_admin,
            bands=bands(("合格", "70", True), ("不合格", None, False)),
            key_items_cap_top=True,
            level_points={},
            consequences=[],
            basis="",
        )
    with pytest.raises(RubricError, match="只能修改草稿版本"):
        services.delete_item(fuling.indicators.first(), by=dept_admin)


def test_editing_rules_keeps_the_effects_the_document_gave(rubrics, dept_admin):
    draft = services.new_version(version_of("fuling-2017"), by=dept_admin)
    rules = draft.consequence_rules["rules"]
    services.set_grade_rules(
        draft,
        by=dept_admin,
        bands=bands(("合格", "85", True), ("基本合格", "60", True), ("不合格", None, False)),
        key_items_cap_top=True,
        level_points={},
        consequences=[
            {k: r.get(k, "") for k in ("code", "grade", "previous", "text")} for r in rules
        ],
        basis=draft.consequence_rules["basis"],
    )
    draft.refresh_from_db()
    assert draft.consequence_rules["rules"] == rules
    assert [b.minimum for b in draft.bands.all()] == [85, 60, None]
    with pytest.raises(RubricError, match="等次“优秀”不存在"):
        services.set_grade_rules(
            draft,
            by=dept_admin,
            bands=bands(("合格", "85", True), ("不合格", None, False)),
            key_items_cap_top=True,
            level_points={},
            consequences=[{"grade": "优秀", "text": "表彰"}],
            basis="",
        )


def _upload(client, code: str, number: int, book) -> str:
    out = io.BytesIO()
    book.save(out)
    response = client.post(
        reverse("rubric_import", args=[code, number]),
        {"file": SimpleUploadedFile("r.xlsx", out.getvalue())},
    )
    assert response.status_code == 302
    return response["Location"]


def test_the_import_checks_bands_and_items_with_the_same_rules(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    client.post(reverse("rubric_copy", args=["fuling-2017", 2]))
    book = openpyxl.load_workbook(io.BytesIO(export_version(version_of("fuling-2017", 3))))
    book["等次"]["B4"] = 30  # the bottom band with a lower bound: scores below it lost
    book.worksheets[0]["G2"] = 0  # an item without points
    preview = client.get(_upload(client, "fuling-2017", 3, book)).content.decode()
    assert "最低一档“不合格”不应设下限" in preview and "指标 1.1：分值应大于 0" in preview
    assert "确认导入" not in preview


def test_the_import_changes_method_levels_and_bands(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    client.post(reverse("rubric_copy", args=["fuling-2017", 2]))
    book = openpyxl.load_workbook(io.BytesIO(export_version(version_of("fuling-2017", 3))))
    book["等次"]["B2"] = 85
    book["标准设置"]["B4"] = "否"
    location = _upload(client, "fuling-2017", 3, book)
    assert "错误 0" in client.get(location).content.decode()
    client.post(location + "confirm/")
    draft = version_of("fuling-2017", 3)
    assert [b.minimum for b in draft.bands.all()] == [85, 60, None]
    assert not draft.key_items_cap_top


def test_the_template_reads_back_without_errors(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    # The same cells (the file's bytes carry the second it was written).
    served = openpyxl.load_workbook(io.BytesIO(client.get(reverse("rubric_template")).content))
    made = openpyxl.load_workbook(io.BytesIO(import_template()))
    assert [(ws.title, list(ws.values)) for ws in served] == [
        (ws.title, list(ws.values)) for ws in made
    ]
    client.post(
        reverse("rubric_create"),
        {
            "name": "模板试导入",
            "code": "template-test",
            "issuer": "党委",
            "source_document": "文件",
            "assesses": ["branch"],
            "method": "points",
            "levels": "",
            "key_items_cap_top": "on",
        },
    )
    book = openpyxl.load_workbook(io.BytesIO(import_template()))
    location = _upload(client, "template-test", 1, book)
    assert "错误 0" in client.get(location).content.decode()
    client.post(location + "confirm/")
    draft = RubricVersion.objects.get(rubric__code="template-test")
    assert services.check_publishable(draft) == []
    assert draft.indicators.get(code="V1").kind == "veto"


def test_a_form_error_keeps_every_typed_value(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    data = {
        "name": "我们的标准",
        "code": "fuling-2017",  # taken
        "issuer": "某党委",
        "source_document": "某文件",
        "assesses": ["branch", "general_branch"],
        "method": "checklist",
        "levels": "达标=1\n未达标=0",
    }
    page = client.post(reverse("rubric_create"), data).content.decode()
    assert "编码“fuling-2017”已被其他考评标准使用" in page
    assert 'value="我们的标准"' in page and "达标=1\n未达标=0</textarea>" in page
    assert page.count("checked") == 2
