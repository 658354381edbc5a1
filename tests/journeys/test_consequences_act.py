"""Consequences act: a result's consequence that states a status is recorded as that
status or task, where the status is read, with the result it comes from; a re-rating
withdraws it.

涪陵 (004): 不合格 → 纳入后进党组织重点整顿 (the organization's category and the 后进 ledger).
西北能化 (001): 争先牌 two quarters running → 约谈 (the interview list); 示范牌 two quarters
running → the secretary's +5 on the branch's record."""

import re

from .pages import login, open_page, rerate_form, row_link, submit
from .test_xibei import quarter

FINISHED = "2025年度党支部规范化建设考核"


def _results(client, campaign: str):
    campaigns = open_page(client, "/campaigns/")
    return open_page(client, open_page(client, campaigns.link(campaign)).link("结果与台账"))


def _org_page(client, history_url: str):
    """From a branch's 历年考评 page to its organization page (the breadcrumb)."""
    history = open_page(client, history_url)
    return open_page(client, next(url for url, _ in history.links_to(r"^/orgs/\d+/$")))


def _category(org) -> str:
    """The 类别 line of an organization's page."""
    part = org.html[org.html.index(">类别</dt>") :]
    return re.sub(r"<[^>]+>", "", part[: part.index("</dd>")])


def _lagging_ledger(results) -> str:
    """The 软弱涣散、后进党组织台账 card of a results page."""
    part = results.html[results.html.index("软弱涣散、后进党组织台账") :]
    return part[: part.index("</ul>")]


def _first_ranked(page) -> str:
    """The first organization in the ranking."""
    body = page.html[page.html.index('id="ledger"') :]
    return re.search(r'/history/">([^<]+)</a>', body).group(1)


def test_fuling_failing_result_puts_the_branch_among_lagging_until_rerated(client):
    login(client, "dq01")
    results = _results(client, FINISHED)
    failing = open_page(client, results.link("结果台账") + "?grade=不合格")
    name = _first_ranked(failing)
    assert "不合格" in failing.row(name)
    history_url = row_link(failing, name)

    # The organization's page: 后进, and from which result.
    org = _org_page(client, history_url)
    category = _category(org)
    assert "后进" in category
    assert f"{FINISHED}（演示，已完成）考评结果“不合格”" in category
    assert "纳入后进党组织重点整顿" in category
    assert "后进" in org.text.split("基本信息")[0]  # the badge beside the name

    # The 后进 ledger of the campaign lists it, with the same source.
    ledger = _lagging_ledger(results)
    assert name in ledger and "后进" in ledger and "纳入后进党组织重点整顿" in ledger

    # The branch's record: the effect, in force, from that result.
    history = open_page(client, history_url)
    assert "纳入后进党组织" in history.row("生效中", "不合格")

    # A recorded re-rating withdraws it: the category goes back, the ledger drops it.
    form = rerate_form(client, failing, name)
    rerated = submit(client, form, {"to_grade": "基本合格", "reason": "复核后改评，经党委会研究"})
    assert "已登记改评决定" in rerated
    category = _category(_org_page(client, history_url))
    assert "一般" in category and "后进" not in category
    assert name not in _lagging_ledger(_results(client, FINISHED))
    history = open_page(client, history_url)
    assert "经决定改评为“基本合格”" in history.row("纳入后进党组织", "已撤销")


def test_xibei_second_zhengxian_quarter_opens_an_interview_and_rerating_cancels_it(client):
    quarter(client, 3, {"热电厂党支部": (95, 95, 95), "化工分厂党支部": (60, 60, 60)})
    q4 = quarter(client, 4, {"热电厂党支部": (95, 95, 95), "化工分厂党支部": (60, 65, 60)})
    assert "61.5 / 100 争先牌" in q4.row("化工分厂党支部")

    # 约谈: a task in the interview list, naming the result it comes from.
    talks = open_page(client, "/mechanisms/interviews/")
    talk = talks.row("化工分厂党支部", "连续2个季度争先牌")
    assert "2026年第4季度亮牌" in talk and "待约谈" in talk

    # The branch's record: 不得评先评优 for both quarters, the 约谈 in force.
    chem = open_page(client, row_link(q4, "化工分厂党支部"))
    assert chem.row("不得评先评优", "2026年第3季度亮牌")
    assert chem.row("约谈书记", "生效中")
    # 示范牌 two quarters running: +5 on the secretary's record.
    plant = open_page(client, row_link(q4, "热电厂党支部"))
    assert "书记年度考核加5分" in plant.row("生效中", "示范牌")

    # Re-rated 达标牌 after rectification: the 约谈 not held yet is cancelled.
    form = rerate_form(client, open_page(client, q4.link("结果台账")), "化工分厂党支部")
    rerated = submit(client, form, {"to_grade": "达标牌", "reason": "整改到位，经党委会研究更换"})
    assert "已登记改评决定" in rerated
    assert "化工分厂党支部" not in open_page(client, "/mechanisms/interviews/")
    chem = open_page(client, row_link(rerated, "化工分厂党支部"))
    assert "经决定改评为“达标牌”" in chem.row("约谈书记", "已撤销")
