"""A year of meetings in Excel, and the demo's year of records: the secretary of
炼钢一作业区党支部 exports last year's records, uploads the file unchanged (nothing to do)
and exports it again identically; a file with mistakes is refused row by row in Chinese
before anything is stored; the corrected rows are stored. The department's view shows the
demo branch that kept gaps."""

import io
from datetime import date

import openpyxl

from tests.conftest import xlsx_bytes

from .pages import download, login, open_page, submit, upload

LAST_YEAR = date.today().year - 1


def _rows(content: bytes) -> list[tuple]:
    return list(
        openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)
    )


def _calendar(client, branch: str):
    tree = open_page(client, "/orgs/")
    org = open_page(client, tree.link(branch))
    return open_page(client, org.link("组织生活") + f"?year={LAST_YEAR}")


def test_year_of_meetings_exports_imports_and_exports_identically(client):
    login(client, "sj01")
    calendar = _calendar(client, "炼钢一作业区党支部")
    assert "缺开 0 期" in calendar  # the demo branch that keeps every meeting
    assert "12/12" not in calendar and "12月 1/1" in calendar.row("支委会", "每月1次")
    exported = download(client, calendar.url + f"?year={LAST_YEAR}&format=xlsx")
    rows = _rows(exported)
    header, data = rows[0], rows[1:]
    assert header[:4] == ("编号", "会议类型", "预告日期", "召开日期")
    assert len(data) == 12 * 3 + 4 * 2 + 4  # monthly ×3, quarterly ×2, four yearly
    committee = next(r for r in data if r[1] == "支委会")
    assert committee[3].year == LAST_YEAR and isinstance(committee[0], int)
    assert committee[7]  # who came, by name
    assert any(r[8] and r[8].endswith("）") for r in data)  # absentees with their reasons

    importing = open_page(client, calendar.link("导入 Excel"))
    same = upload(client, importing.form(button="上传并试导入"), exported, "组织生活.xlsx")
    assert f"无变化 {len(data)}" in same and "错误 0" in same
    done = submit(client, same.form(button="确认导入"))
    assert f"导入完成：新增 0 行，更新 0 行，无变化 {len(data)} 行" in done
    again = download(client, calendar.url + f"?year={LAST_YEAR}&format=xlsx")
    assert _rows(again) == rows  # exported back identically

    absent_name = committee[7].split("、")[0]
    bad = xlsx_bytes(
        list(header),
        [
            [None, "茶话会", None, f"{LAST_YEAR}-05-06", "", "联欢", "", "", "", "", ""],
            [None, "支委会", None, f"{LAST_YEAR}-13-01", "", "补开支委会", "", "", "", "", ""],
            [
                None,
                "党课",
                None,
                f"{LAST_YEAR}-05-07",
                "",
                "党课",
                "",
                "",
                "查无此人（出差）",
                "",
                "",
            ],
            [committee[0], "支委会", None, f"{LAST_YEAR}-01-06", "", "改期", "", "", "", "", ""],
            [
                None,
                "党课",
                None,
                f"{date.today().year + 1}-01-07",
                "",
                "明年党课",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                None,
                "党课",
                None,
                f"{LAST_YEAR}-05-08",
                "",
                "专题党课",
                "",
                "",
                f"{absent_name}（病假）",
                "",
                "",
            ],
        ],
    )
    preview = upload(client, importing.form(button="上传并试导入"), bad, "组织生活.xlsx")
    assert "错误 5" in preview and "新增 1" in preview and "确认导入" not in preview
    # Each error on its Excel row (the header is row 1), in Chinese.
    assert preview.row("会议类型：“茶话会”不正确").split()[:2] == ["2", "错误"]
    assert preview.row("“召开日期”日期格式不正确").split()[:2] == ["3", "错误"]
    assert preview.row("“查无此人”不在本支部党员名册中").split()[:2] == ["4", "错误"]
    assert preview.row("该记录已审核锁定").split()[:2] == ["5", "错误"]  # January is checked
    assert preview.row("召开日期不能晚于今天").split()[:2] == ["6", "错误"]

    good = xlsx_bytes(list(header), [list(bad_row) for bad_row in _rows(bad)[-1:]])
    preview = upload(client, importing.form(button="上传并试导入"), good, "组织生活.xlsx")
    assert "新增 1" in preview and "错误 0" in preview
    stored = submit(client, preview.form(button="确认导入"))
    assert "导入完成：新增 1 行" in stored
    assert stored.url == calendar.url  # back on the branch's calendar
    year = open_page(client, calendar.url + f"?year={LAST_YEAR}")
    assert "已召开" in year.row("专题党课") and "党课" in year.row("专题党课")
    assert (
        len(_rows(download(client, calendar.url + f"?year={LAST_YEAR}&format=xlsx")))
        == len(rows) + 1
    )


def test_demo_department_view_shows_the_branch_with_gaps(client):
    login(client, "dq01")
    overview = open_page(client, f"/meetings/?year={LAST_YEAR}&quarter=0")
    gaps = overview.row("化工分厂党支部")
    assert "支委会：4月、8月" in gaps and "党课：第2季度" in gaps and "组织生活会" in gaps
    assert "炼钢一作业区党支部 " in overview.row("炼钢一作业区党支部") and "—" in overview.row(
        "炼钢一作业区党支部"
    )
    calendar = open_page(client, overview.link("化工分厂党支部"))
    assert "推迟 1 次" in calendar.row("主题党日")
