"""Every list pages and searches, whatever the number of branches.

The department imports 600 more branches (Excel, through the import pages), then opens
组织架构, 组织生活 and 过筛子: each page holds a bounded number of rows, the pages follow one
another with 下一页, the search box finds one branch among them, and the database is asked
the same number of questions before and after the import. 结果运用 searches and filters
the demo campaign's consequences the same way."""

import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches.toolkit.params import LIST_PAGE_SIZE
from branches.views import TREE_PAGE_SIZE

from .pages import download, login, open_page, submit, upload

NEW = 600


def _rows(page, table: str) -> int:
    body = re.search(rf'id="{table}".*?<tbody>(.*?)</tbody>', page.html, re.S)
    assert body, f"no table {table} on {page.url}"
    return len(re.findall(r"<tr\b", body.group(1)))


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _import_branches(client) -> None:
    page = open_page(client, open_page(client, "/orgs/").link("导入 Excel"))
    template = openpyxl.load_workbook(io.BytesIO(download(client, page.link("导入模板"))))
    headers = [c.value for c in template.worksheets[0][1]]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for n in range(1, NEW + 1):
        row = {"编码": f"NH-P{n:03d}", "名称": f"批量第{n:03d}党支部", "类型": "党支部"}
        sheet.append([{**row, "上级编码": "NH"}.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    preview = upload(client, page.forms[-1], out.getvalue(), "组织架构.xlsx")
    assert "确认导入" in preview.html, preview.text[:500]
    done = submit(client, preview.form(button="确认导入"))
    assert f"导入完成：新增 {NEW} 行" in done, done.text[:500]


@pytest.mark.django_db
def test_lists_page_and_search_with_many_branches(client):
    login(client, "dq01")
    lists = {"/orgs/": "org-table", "/meetings/": "overview", "/screenings/": "screening-table"}
    before = {url: _queries(client, url) for url in lists}
    _import_branches(client)
    after = {url: _queries(client, url) for url in lists}
    # The same questions to the database with 600 more branches: nothing grows with them.
    assert after == before

    tree = open_page(client, "/orgs/")
    pages = int(re.search(r"第 1 / (\d+)\+? 页", tree.text).group(1))
    assert pages >= 3 and _rows(tree, "org-table") == TREE_PAGE_SIZE
    seen = 0
    while True:
        seen += _rows(tree, "org-table") - ("接上页" in tree)
        if "下一页" not in tree.text:
            break
        tree = open_page(client, "/orgs/" + tree.link("下一页"))
        assert _rows(tree, "org-table") <= TREE_PAGE_SIZE + 1
        assert "接上页" in tree  # a page starting inside a subtree names where it is
    assert "批量第600党支部" in tree  # the last branch by code ends the tree
    assert seen > NEW
    found = open_page(client, "/orgs/?q=批量第123")
    assert "共 1 条" in found and found.row("批量第123党支部", "NH-P123")

    for url, table in (("/meetings/", "overview"), ("/screenings/", "screening-table")):
        page = open_page(client, url)
        assert _rows(page, table) == LIST_PAGE_SIZE, url
        assert re.search(r"第 1 / \d+\+? 页", page.text), url
        assert "批量第" in open_page(client, url + page.link("下一页")).text
        found = open_page(client, f"{url}?q=NH-P321")
        assert _rows(found, table) == 1 and found.row("批量第321党支部"), url
    screenings = open_page(client, "/screenings/?category=none&q=批量")
    assert re.search(r"共 \d+ 个党支部", screenings.text)
    # None of the new branches is screened yet: 600 listed, past where the pager counts;
    # those numbered 100–199 exactly.
    assert "已超过 250 条" in screenings
    some = open_page(client, "/screenings/?category=none&q=批量第1")
    assert f"第 1 / {-(-100 // LIST_PAGE_SIZE)} 页，共 100 条" in some
    assert client.get("/screenings/?category=best").status_code == 400
    assert "批量第" not in open_page(client, "/screenings/?category=lagging")


@pytest.mark.django_db
def test_consequences_search_and_filter(client):
    login(client, "dq01")
    campaign = open_page(client, "/campaigns/").link("2025年度党支部规范化建设考核")
    page = open_page(
        client, open_page(client, open_page(client, campaign).link("结果与台账")).link("结果运用")
    )
    names = re.findall(r"<tr><td>([^<]+)</td>", page.html)
    assert len(names) >= 2 and len(set(names)) >= 2
    # The way back is the breadcrumb's, as on the ledger and 改评 pages.
    crumbs = page.html.split('aria-label="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert "结果与台账" in crumbs and "结果运用" in crumbs
    # Rows name the organization with its parent; the search box takes its own name.
    found = open_page(client, f"{page.url}?q={names[0].split('（')[0]}")
    assert set(re.findall(r"<tr><td>([^<]+)</td>", found.html)) == {names[0]}
    pending = open_page(client, f"{page.url}?status=pending")
    assert "已落实：" not in pending.text
    assert client.get(f"{page.url}?status=unknown").status_code == 400
    # The export follows the filters of the page.
    rows = openpyxl.load_workbook(
        io.BytesIO(download(client, found.url + found.link("导出 Excel")))
    ).active.iter_rows(min_row=2, values_only=True)
    assert {r[0] for r in rows} == {names[0]}
