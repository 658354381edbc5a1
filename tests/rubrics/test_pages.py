"""Rubric pages as people use them."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rubrics.models import RubricVersion, VersionStatus
from rubrics.sheets import export_version
from tests.rubrics.conftest import version_of


def test_every_user_reads_a_published_rubric(rubrics, secretary_a, client):
    client.force_login(secretary_a)
    listing = client.get(reverse("rubric_list")).content.decode()
    assert "涪陵区国有企业党组织规范化建设评分标准" in listing
    assert "党支部“促百分百达标、迎党百年华诞”以评促建指标" not in listing  # a draft
    page = client.get(reverse("rubric_version", args=["fuling-2017", 2])).content.decode()
    assert "党员大会每季度1次（4 分）" in page
    assert page.count('title="▲重点项"') == 35
    assert "合格</td><td>≥ 80 分" in page and "不能评为“合格”" in page
    assert "涪区委组〔2017〕86号" in page
    assert "复制为新版本" not in page  # not a manager


def test_xining_page_shows_vetoes_and_the_assumed_pass_mark(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    page = client.get(reverse("rubric_version", args=["xining-2021", 1])).content.decode()
    assert page.count("否决项</span>") == 7
    assert "直接确定为“不达标”" in page
    assert "系统默认值，发布时须由本单位确认" in page
    assert 'name="confirm"' in page


def test_publish_through_the_page(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    url = reverse("rubric_publish", args=["xining-2021", 1])
    page = client.post(url, follow=True).content.decode()
    assert "请确认系统默认的分数线后再发布" in page
    assert version_of("xining-2021").status == VersionStatus.DRAFT
    page = client.post(url, {"confirm": "on"}, follow=True).content.decode()
    assert "已发布第 1 版" in page
    assert version_of("xining-2021").status == VersionStatus.PUBLISHED


def test_copy_edit_by_excel_and_diff(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    page = client.post(reverse("rubric_copy", args=["hegang-2020", 1]), follow=True)
    assert "已复制为第 2 版草稿" in page.content.decode()
    book = openpyxl.load_workbook(io.BytesIO(export_version(version_of("hegang-2020", 2))))
    book.worksheets[0]["F2"] = "坚持政治引领，强化理论武装（修订）"
    out = io.BytesIO()
    book.save(out)
    response = client.post(
        reverse("rubric_import", args=["hegang-2020", 2]),
        {"file": SimpleUploadedFile("v2.xlsx", out.getvalue())},
    )
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "替换" in preview and "错误 0" in preview
    client.post(response["Location"] + "confirm/")
    assert version_of("hegang-2020", 2).indicators.get(code="1").text.endswith("（修订）")
    diff = client.get(reverse("rubric_diff", args=["hegang-2020"]) + "?a=1&b=2")
    text = diff.content.decode()
    assert "修改的指标（1）" in text and "（修订）" in text
    assert RubricVersion.objects.get(rubric__code="hegang-2020", number=1).status == "published"


def test_blank_score_sheet_lists_every_item_and_part(rubrics, leader, client):
    client.force_login(leader)
    response = client.get(reverse("rubric_score_sheet", args=["fuling-2017", 2]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    codes = [r[0] for r in book["评分表"].iter_rows(min_row=2, values_only=True)]
    assert "4.1.a" in codes and "7.4.d" in codes and len(codes) == 55 + 4 + 4 + 1
    info = dict(book["填写说明"].iter_rows(min_row=2, values_only=True))
    assert info["标准编码"] == "fuling-2017"


def test_enterprise_fills_custom_slots(rubrics, tree, dept_admin, client):
    client.force_login(dept_admin)
    version = version_of("xining-2021")
    url = reverse("rubric_slots", args=["xining-2021", 1])
    slots = list(version.indicators.filter(kind="custom"))
    data = {"enterprise": tree.e1.pk} | {f"slot_{s.pk}": f"{s.code} 安全生产" for s in slots}
    data[f"slot_{slots[-1].pk}"] = ""
    page = client.post(url, data, follow=True).content.decode()
    assert "还有 1 项个性指标未填写" in page
    assert "4/5" in page
