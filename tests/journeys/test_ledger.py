"""003's three lists kept by hand, and the yearly screening (过筛子): a problem found by
supervision is put on a branch's ledger, assigned, measured and closed by 销号; a
screening moves a branch to 后进 and opens its 集中整顿 ledger."""

import io

import openpyxl

from .pages import download, login, open_page, row_link, submit


def _ledger(client, org_name: str):
    tree = open_page(client, "/orgs/")
    org = open_page(client, tree.link(org_name))
    return open_page(client, org.link("问题台账"))


def test_hand_entered_problem_is_assigned_measured_and_closed(client):
    login(client, "dq01")
    ledger = _ledger(client, "炼钢一作业区党支部")
    form = ledger.form(action="/ledger/add/")
    added = submit(
        client,
        form,
        {
            "source": ledger.option(form, "source", "督导"),
            "problem": "党员活动室制度未上墙",
            "responsible": "王建国",
            "deadline": "2026-12-31",
        },
    )
    assert "已登记问题 督导" in added and "责任人：王建国" in added
    assert "党员活动室制度未上墙" in added.row("督导", "党员活动室制度未上墙")

    # The secretary finds it on her ledger, writes the measure and asks for 销号.
    login(client, "sj01")
    ledger = _ledger(client, "炼钢一作业区党支部")
    item = open_page(client, row_link(ledger, "党员活动室制度未上墙"))
    assert "王建国" in item and "整改中" in item
    item = submit(
        client,
        item.form(action="/measure/"),
        {"measure": "制作制度牌并上墙", "responsible": "王建国"},
    )
    item = submit(client, item.form(action="/submit/"))
    assert "待销号" in item

    # The department finds it on its home page to verify, checks and closes it.
    login(client, "dq01")
    home = open_page(client, "/")
    assert home.link("炼钢一作业区党支部 · 督导") == item.url
    item = open_page(client, item.url)
    confirm = open_page(client, item.url + "close/")
    closed = submit(client, confirm.form(button="确认销号"))
    assert "已销号" in closed
    ledger = _ledger(client, "炼钢一作业区党支部")
    assert "已销号" in ledger.row("制作制度牌并上墙")

    book = openpyxl.load_workbook(io.BytesIO(download(client, ledger.url + "?format=xlsx")))
    assert book.sheetnames == ["问题清单", "责任清单", "整改清单"]
    problems = list(book["问题清单"].iter_rows(values_only=True))
    assert problems[0][:3] == ("编号", "来源", "问题")
    assert any(r[1] == "督导" and r[2] == "党员活动室制度未上墙" for r in problems)
    duties = list(book["责任清单"].iter_rows(values_only=True))
    assert any(r[1] == "党员活动室制度未上墙" and r[2] == "王建国" for r in duties)
    fixes = list(book["整改清单"].iter_rows(values_only=True))
    [fix] = [r for r in fixes if r[2] == "制作制度牌并上墙"]
    assert fix[4].year == 2026 and fix[5] == "已销号"


def test_secretary_cannot_screen_and_outsider_gets_404(client):
    login(client, "sj02")
    ledger = _ledger(client, "一号煤矿党支部")
    assert not [f for f in ledger.forms if "/screening/" in f.action]
    other = client.get(ledger.url.replace("/ledger/", "/screening/"), follow=False)
    assert other.status_code in (403, 405)
    login(client, "sj01")
    assert client.get(ledger.url).status_code == 404


def test_yearly_screening_moves_a_branch_to_lagging_and_opens_its_ledger(client):
    login(client, "dq01")
    ledger = _ledger(client, "一号煤矿党支部")
    assert "尚无评定" in ledger and "集中整顿台账" not in ledger
    form = ledger.form(action="/screening/")
    refused = submit(
        client, form, {"year": "2026", "category": ledger.option(form, "category", "后进")}
    )
    assert "这个字段是必填项" in refused or "必填" in refused
    screened = submit(
        client,
        form,
        {
            "year": "2026",
            "category": ledger.option(form, "category", "后进"),
            "reason": "三会一课长期不落实，支委会缺位",
        },
    )
    assert "已评定 2026 年度类别：后进" in screened
    assert "类别：后进" in screened
    assert "集中整顿台账" in screened
    assert "三会一课长期不落实" in screened.row("2026", "后进")
    assert "集中整顿" in screened.row("集中整顿", "三会一课长期不落实")

    lagging = open_page(client, "/orgs/?flag=lagging")
    assert "一号煤矿党支部" in lagging
    overview = open_page(client, screened.link("各支部评定情况") + "?year=2026")
    assert "后进 1 个" in overview and "尚未评定" in overview
    assert "三会一课长期不落实" in overview.row("一号煤矿党支部", "后进")

    # A later screening is history too; the tree shows the latest.
    form = screened.form(action="/screening/")
    again = submit(
        client,
        form,
        {
            "year": "2027",
            "category": screened.option(form, "category", "一般"),
            "reason": "整顿验收合格",
        },
    )
    assert "类别：一般" in again
    assert "三会一课长期不落实" in again.row("2026", "后进")


def test_only_branches_are_screened(client):
    """过筛子 is of 党支部 ("基层党委…对所属党支部进行1次过筛子"): a 党总支's ledger keeps
    its problems but offers no screening, and a screening posted to it is refused in
    Chinese, so the overview (which counts branches) never misses one."""
    login(client, "dq01")
    general = _ledger(client, "炼钢厂党总支")
    assert "炼钢厂党总支" in general and "年度过筛子" in general
    assert not [f for f in general.forms if "/screening/" in f.action]
    posted = client.post(
        general.url.replace("/ledger/", "/screening/"),
        {"year": "2026", "category": "lagging", "reason": "试图评定党总支"},
        follow=True,
    )
    assert posted.status_code == 200
    assert "年度过筛子只评定党支部。" in posted.content.decode()
    assert "试图评定党总支" not in open_page(client, general.url).text
