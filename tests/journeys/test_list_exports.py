"""The lists the department works from each download as Excel, with what the page shows:
过筛子 (its filters kept), 换届提醒, 交叉互评组 and the campaign list."""

import io

import openpyxl

from .pages import download, login, open_page


def _sheet(client, page) -> list[tuple]:
    """The rows of the Excel the page's 导出 Excel link downloads."""
    link = page.link("导出 Excel")
    url = page.url.split("?")[0] + link if link.startswith("?") else link
    book = openpyxl.load_workbook(io.BytesIO(download(client, url)))
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_screening_downloads_with_its_filters(client):
    login(client, "dq01")
    page = open_page(client, "/screenings/?q=机关")
    rows = _sheet(client, page)
    assert rows[0][:3] == ("党支部", "编码", "本年度评定")
    names = {r[0] for r in rows[1:]}
    assert {"机关党支部（华西能化公司党委）", "机关党支部（华西物流公司党委）"} <= names
    assert all("机关" in n for n in names) and len(names) == len(rows) - 1


def test_term_reminders_download_as_the_page_lists_them(client):
    login(client, "dq01")
    page = open_page(client, "/orgs/terms/")
    rows = _sheet(client, page)
    assert rows[0] == ("组织", "编码", "类型", "任期届满", "状态")
    for name, _code, _kind, _end, state in rows[1:]:
        assert state in page.text and name.split("（")[0] in page.text


def test_groups_and_campaigns_download(client):
    login(client, "dq01")
    groups = _sheet(client, open_page(client, "/groups/"))
    assert groups[0] == ("组名", "组织单位", "成员企业", "企业数") and len(groups) >= 4
    campaigns = open_page(client, "/campaigns/")
    rows = _sheet(client, campaigns)
    assert rows[0] == ("名称", "期间", "考评标准", "范围", "状态")
    assert all(r[0] in campaigns.text for r in rows[1:]) and len(rows) >= 2


def test_screening_is_in_the_menu_of_whoever_reads_results(client):
    """各支部评定情况 (过筛子) is one click from every page, not only from a branch's ledger."""
    for username in ("dq01", "ld01"):
        login(client, username)
        home = open_page(client, "/")
        assert "年度过筛子" in open_page(client, home.link("过筛子", href="/screenings/")).text
    login(client, "sj01")
    assert "/screenings/" not in open_page(client, "/").html
