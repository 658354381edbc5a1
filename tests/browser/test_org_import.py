"""The department admin replaces part of the tree from Excel, in a real browser."""

import re

from playwright.sync_api import expect

from branches.models import Organization
from tests.branches.test_import_export import ORG_HEADERS, org_row
from tests.browser.conftest import log_in
from tests.conftest import xlsx_bytes


def test_dept_admin_imports_tree_through_preview_and_confirm(page, tree, dept_admin, tmp_path):
    log_in(page, "dept")
    expect(page.get_by_role("heading", name="党群部管理员")).to_be_visible()

    page.get_by_role("link", name="组织架构").first.click()
    expect(page.locator("#org-table")).to_contain_text("甲党支部")

    page.get_by_role("link", name="导入 Excel").click()
    upload = tmp_path / "新组织.xlsx"
    upload.write_bytes(
        xlsx_bytes(
            ORG_HEADERS,
            [
                org_row("E1-NEW", "一公司新建党支部", "党支部", "E1"),
                org_row("E1-NEW-1", "新建党小组", "党小组", "E1-NEW"),
                org_row(
                    "A", "甲党支部（更名）", "党支部", "G", **{"正式党员数": 12, "预备党员数": 1}
                ),
            ],
        )
    )
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(str(upload))
    page.get_by_role("button", name="上传并预览").click()

    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("新增 2")
    expect(summary).to_contain_text("更新 1")
    expect(summary).to_contain_text("错误 0")
    assert not Organization.objects.filter(code="E1-NEW").exists()

    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("alert").first).to_contain_text("导入完成：新增 2 行，更新 1 行")
    table = page.locator("#org-table")
    expect(table).to_contain_text("一公司新建党支部")
    expect(table).to_contain_text("新建党小组")
    expect(table).to_contain_text("甲党支部（更名）")
    assert Organization.objects.get(code="E1-NEW-1").parent.code == "E1-NEW"


def test_a_bad_row_is_shown_with_its_number_and_nothing_is_stored(page, tree, dept_admin, tmp_path):
    log_in(page, "dept")
    page.goto("/imports/organizations/new/")
    upload = tmp_path / "bad.xlsx"
    upload.write_bytes(
        xlsx_bytes(
            ORG_HEADERS,
            [
                org_row("OK1", "好支部", "党支部", "E1"),
                org_row("BAD", "坏支部", "党支部", "NOWHERE"),
            ],
        )
    )
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(str(upload))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator(".alert-danger")).to_contain_text("不会导入任何数据")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    error_row = page.locator("#import-rows tr.table-danger")
    expect(error_row).to_contain_text("3")
    expect(error_row).to_contain_text(re.compile("上级编码“NOWHERE”不存在"))
    assert not Organization.objects.filter(code__in=["OK1", "BAD"]).exists()
