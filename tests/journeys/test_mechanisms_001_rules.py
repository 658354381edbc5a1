"""西北能化 2025 (001): the rules of the 结对提升责任书, the 责任认领 and the 亮牌 mechanisms
that the product used to approximate, each driven through the pages from the demo: the
helper's and the secretary's annual-review consequences, the 积分 ledger, the 责任期 of a
pairing's quarterly evaluations and the extended 争先 period."""

import re
from datetime import date, timedelta
from html import unescape

from branches.toolkit.periods import next_period, previous_period, quarter_of, window

from .pages import download, login, open_page, submit, xlsx_rows
from .plaque_flow import QUARTER, TODAY, hand_entered_quarter


def _next(year: int, quarter: int, steps: int = 1) -> tuple[int, int | None]:
    period: tuple[int, int | None] = (year, quarter)
    for _ in range(steps):
        period = next_period(*period)
    return period


def _quarter_end(year: int, quarter: int | None) -> date:
    return window(year, quarter)[1]


def table_text(page, table_id: str) -> str:
    """The plain text of the page's table with that id."""
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page.html, re.S)
    assert found, f"no table #{table_id} on {page.url}"
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(0))))


def pairing_page(client, branch: str):
    listing = open_page(client, open_page(client, "/mechanisms/").link("结对提升"))
    return open_page(client, listing.link(branch))


def evaluate(client, page, year: int, quarter: int, score: str, note: str = ""):
    return submit(
        client,
        page.form(action="/evaluate/"),
        {"year": year, "quarter": quarter, "score": score, "note": note},
    )


def test_jiafang_two_failing_quarters_bars_youxiu_in_the_annual_review(client):
    """“甲方…连续2次季度评估不达标者，年度考核不得评为‘优秀’”: recorded against the helper
    (刘强, bf02) for the year, on the pairing and on the helper's own record."""
    login(client, "dq01")
    page = pairing_page(client, "化工分厂党支部")
    first = evaluate(client, page, TODAY.year, QUARTER, "55")
    assert "帮扶成效 55 分：重新制定帮扶方案" in first
    # One failing quarter is not yet a run of two.
    assert "无。" in table_text(first, "pairing-effects")
    year, quarter = _next(TODAY.year, QUARTER)
    second = evaluate(client, first, year, quarter, "70")
    assert "帮扶成效 70 分：待改进" in second
    assert f"已记入{year}年度：年度考核不得评为“优秀”（刘强）" in second
    row = second.row(f"{year}年度", "刘强")
    assert "年度考核不得评为“优秀”（刘强）" in row and "连续2次季度评估不达标" in row
    assert "甲方连续2次季度评估不达标，年度考核不得评为“优秀”" in second  # the rule, as data

    # On the helper's own record: the helper opens it from 工作机制.
    login(client, "bf02")
    record = open_page(client, open_page(client, "/mechanisms/").link("我的年度考核记录"))
    assert "年度考核不得评为“优秀”（刘强）" in record.row(f"{year}年度", "化工分厂党支部")
    # The department reads it from the pairing; a secretary of another branch does not.
    login(client, "dq01")
    pairing = open_page(client, page.url)
    helper_record = open_page(client, pairing.link("甲方 刘强 的年度考核记录"))
    assert "年度考核不得评为“优秀”（刘强）" in helper_record
    login(client, "sj01")
    assert client.get(helper_record.url).status_code == 404


def test_a_passing_quarter_breaks_the_run(client):
    """“连续2次”: 55, then 85 (达标), then 70 — never two failing quarters in a row."""
    login(client, "dq01")
    page = pairing_page(client, "热电厂党支部")
    page = evaluate(client, page, TODAY.year, QUARTER, "55")
    year, quarter = _next(TODAY.year, QUARTER)
    page = evaluate(client, page, year, quarter, "85")
    assert "帮扶成效 85 分：达标" in page
    assert "不得评为“优秀”" not in table_text(page, "pairing-effects")


def test_yifang_accepted_gives_the_secretary_5_points_and_priority(client):
    """“乙方支部若验收合格，优先申报‘标准化示范支部’，支部书记年度考核加5分”: the bonus
    against the secretary (苏晓东, sj21) and the 优先申报 flag on the branch, for the year the
    term ends; on the pairing, the secretary's record and the branch's 历年考评."""
    first = quarter_of(TODAY)[2]
    year = (first + timedelta(days=181)).year  # the demo's term: two quarters from this one
    login(client, "dq01")
    page = pairing_page(client, "热电厂党支部")
    accepted = submit(
        client, page.form(action="/accept/"), {"met": "1", "note": "核心目标全部实现"}
    )
    assert "期末验收：帮扶合格" in accepted
    assert f"已记入{year}年度：书记年度考核加5分（苏晓东）、优先申报“标准化示范支部”" in accepted
    bonus = accepted.row("书记年度考核加5分（苏晓东）")
    priority = accepted.row("优先申报“标准化示范支部”", "热电厂党支部")
    assert f"{year}年度" in bonus and "期末验收合格" in bonus
    assert f"{year}年度" in priority and "期末验收合格" in priority
    assert "记入责任期结束的年度" in accepted  # where the document is silent, the page says so

    login(client, "sj21")
    record = open_page(client, open_page(client, "/mechanisms/").link("我的年度考核记录"))
    assert "书记年度考核加5分（苏晓东）" in record.row(f"{year}年度", "热电厂党支部")

    login(client, "dq01")
    tree = open_page(client, "/orgs/")
    history = open_page(client, open_page(client, tree.link("热电厂党支部")).link("历年考评"))
    assert "优先申报“标准化示范支部”" in history.row(f"{year}年度", "生效中")


def test_duty_scores_are_kept_as_monthly_points_and_exported(client):
    """“考评结果在公示栏公开并纳入党员积分制管理”: each month's 履职 score becomes the
    member's 积分 of the month, totalled for the year, on a page and in Excel."""
    login(client, "sj21")
    duty = open_page(client, open_page(client, "/mechanisms/").link("履职公示栏"))
    assert "热电厂党支部" in duty  # the secretary's own branch
    ledger = open_page(client, duty.link("党员积分台账"))
    assert f"热电厂党支部 · {TODAY.year}年党员积分台账" in ledger
    assert "按每月履职得分1分计1积分" in ledger and "系统假设" in ledger
    # The demo scored two members this month: 92 and 78.
    month = TODAY.month
    first = ledger.row(" 92 ")
    name = first.split()[0]
    assert "92 1" in first  # the year's total and months scored

    # The secretary scores the same member for another month: the ledger adds it up.
    other = 1 if month != 1 else 2
    form = duty.form(action="/duty/score/")
    member = duty.option(form, "member", name)
    submit(
        client,
        form,
        {"member": member, "year": TODAY.year, "month": other, "score": "80", "note": ""},
    )
    ledger = open_page(client, ledger.url)
    row = ledger.row(name, " 92 ")
    assert "80" in row and "172 2" in row

    rows = xlsx_rows(download(client, ledger.link("导出积分台账")))
    assert rows[0][:3] == ("姓名", "党小组", "1月") and rows[0][-2:] == ("年度积分", "已评月数")
    mine = next(r for r in rows if r[0] == name)
    assert mine[2 + month - 1] == 92 and mine[2 + other - 1] == 80 and mine[-2:] == (172, 2)

    # A secretary of another branch does not see it.
    login(client, "sj01")
    assert client.get(ledger.url).status_code == 404


def test_a_quarter_outside_the_term_is_refused_with_the_reason(client):
    """The pairing is evaluated “每季度” of its “责任期限”: a quarter before the term (or after
    it) is refused with the reason, and the form keeps what was typed."""
    login(client, "dq01")
    page = pairing_page(client, "化工分厂党支部")
    year, quarter = previous_period(TODAY.year, QUARTER)
    refused = evaluate(client, page, year, quarter, "88", "提前打分")
    assert f"{year}年第{quarter}季度不在责任期" in refused
    assert "帮扶成效只评估责任期内的季度" in refused
    form = refused.form(action="/evaluate/")
    assert form.fields["year"] == str(year) and form.fields["quarter"] == str(quarter)
    assert form.fields["score"] == "88" and "提前打分" in refused
    assert "暂无。" in refused.row("暂无。")  # nothing was stored

    later_year, later_quarter = _next(TODAY.year, QUARTER, 3)
    assert "不在责任期" in evaluate(client, refused, later_year, later_quarter, "88")
    # A quarter of the term is accepted.
    done = evaluate(client, open_page(client, page.url), TODAY.year, QUARTER, "88")
    assert "帮扶成效 88 分：达标" in done


def test_zhengxian_not_rectified_extends_the_period_on_the_board(client):
    """争先牌 “未整改到位的，延长‘争先’期限”: the department extends the period of a
    争先 branch; its end date is stored and shown on the board, a second extension goes on."""
    campaign = hand_entered_quarter(client, {"化工分厂党支部": (60, 60, 55)})
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    submit(client, results.form(button="汇总考评结果"))
    board = open_page(client, open_page(client, "/mechanisms/").link("季度亮牌看板"))
    assert "争先牌" in board.row("化工分厂党支部")
    assert "每次延长1个季度" in board  # the product's reading, said on the page
    assert "延长争先期限" not in board.row("一号煤矿党支部")  # a 达标牌 is not extended

    form = board.form(action="/extend/")
    done = submit(client, form, {"reason": "台账仍未补齐"})
    first_end = _quarter_end(*_next(TODAY.year, QUARTER))
    assert f"化工分厂党支部未整改到位，争先期限延长至 {first_end:%Y-%m-%d}" in done
    row = done.row("化工分厂党支部")
    assert f"争先期限延长至 {first_end:%Y-%m-%d}" in row and "台账仍未补齐" in row

    again = submit(client, done.form(action="/extend/"), {"reason": "仍未整改"})
    second_end = _quarter_end(*_next(TODAY.year, QUARTER, 2))
    assert f"争先期限延长至 {second_end:%Y-%m-%d}" in again.row("化工分厂党支部")

    rows = xlsx_rows(download(client, again.link("导出 Excel")))
    assert rows[0][-1] == "争先期限延长至"
    extended = next(r for r in rows if r[0] == "化工分厂党支部")[-1]
    assert extended.date() == second_end

    # Without a reason it is refused; the secretary sees the date but cannot extend.
    assert "未整改到位的情况" in submit(client, again.form(action="/extend/"), {"reason": ""})
    login(client, "sj22")
    board = open_page(client, board.url)
    assert f"争先期限延长至 {second_end:%Y-%m-%d}" in board.row("化工分厂党支部")
    assert not [f for f in board.forms if "/extend/" in f.action]
