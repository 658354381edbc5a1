"""西北能化 2025 (001): 亮牌 over two consecutive quarters. Three instruments are scored on
their own pages and combined 40/30/30 by the rubric; 示范 and 争先 have consequences."""

from datetime import date

from .pages import (
    create_campaign,
    download,
    fill_sheet,
    login,
    my_sheets,
    open_page,
    report,
    rerate_form,
    row_link,
    sign_submitted,
    submit,
    xlsx_rows,
)

INSTRUMENTS = ("星级党支部考核", "互查评分", "帮扶成效评分")


def quarter(client, number: int, scores: dict[str, tuple[int, int, int]]):
    """The department runs one quarter; kp01 scores the three instruments. Returns the
    ledger after 汇总."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name=f"2026年第{number}季度亮牌",
        version="亮牌",
        scope="NH",
        template="西北能化",
        year="2026",
        quarter=f"第{'一二三四'[number - 1]}季度",
        start=date.today().isoformat(),
    )
    assert "5 个考评对象" in detail
    campaign = submit(client, detail.form(action="/open/")).url
    for url, _ in open_page(client, campaign).links_to(r"/stages/\d+/assign/"):
        assign = open_page(client, url)
        form = assign.form(button="分配")
        assert "已分配 5 份考评表" in submit(
            client, form, {"people": [assign.option(form, "people", "kp01")]}
        )
    login(client, "kp01")
    for position, stage in enumerate(INSTRUMENTS):
        listed = my_sheets(client, stage)
        assert len(listed) == 5
        for url, name in listed:
            score = scores.get(name, (80, 80, 80))[position]
            page = fill_sheet(client, url, short={k: str(100 - score) for k in INSTRUMENT_CODES})
            assert f"得分 {score}" in page  # one instrument alone is a score, not a 亮牌
    login(client, "dq01")
    assert sign_submitted(client, open_page(client, campaign).link("进度")) == 15
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    return submit(client, results.form(button="汇总考评结果"))


INSTRUMENT_CODES = ("star", "inspection", "pairing")


def test_xibei_two_quarters_of_plaques(client):
    q3 = quarter(client, 3, {"热电厂党支部": (95, 95, 95), "化工分厂党支部": (60, 60, 60)})
    assert "95 / 100 示范牌" in q3.row("热电厂党支部")
    assert "60 / 100 争先牌" in q3.row("化工分厂党支部")

    q4 = quarter(
        client,
        4,
        {
            "热电厂党支部": (95, 95, 95),
            "化工分厂党支部": (60, 65, 60),
            "一号煤矿党支部": (95, 85, 88),
        },
    )
    row = q4.row("一号煤矿党支部")
    assert "89.9 / 100 达标牌" in row
    assert "综合得分 = 95×40% + 85×30% + 88×30% = 89.9" in row
    assert "61.5 / 100 争先牌" in q4.row("化工分厂党支部")
    assert "已汇总 5 个组织" in q4 and "暂定" not in q4

    consequences = open_page(client, q4.link("结果运用"))
    assert "连续2个季度获示范牌：支部书记年度考核加5分" in consequences.row("热电厂党支部")
    assert consequences.row("化工分厂党支部", "取消当季度所有评优资格，支部书记向党委作书面检讨")
    assert consequences.row("化工分厂党支部", "连续2个季度争先牌：约谈党支部书记")
    assert consequences.row("化工分厂党支部", "未整改到位的延长争先牌期限")

    # After rectification a 争先 branch may be re-rated 达标牌, and only that.
    ledger = open_page(client, q4.link("结果台账"))
    form = rerate_form(client, ledger, "化工分厂党支部")
    assert [text for _, text in form.selects["to_grade"]] == ["达标牌"]  # all it may become
    # A grade the page does not offer (a hand-made request) is refused by the same rule.
    refused = submit(client, form, {"to_grade": "示范牌", "reason": "整改效果突出"})
    assert "只有“争先牌”整改后改评为“达标牌”" in refused
    form = refused.form(button="登记改评")
    rerated = submit(client, form, {"to_grade": "达标牌", "reason": "整改到位，经党委会研究更换"})
    assert "已登记改评决定" in rerated
    assert "原评定“争先牌”，经决定改评为“达标牌”" in rerated.row("化工分厂党支部")
    assert "/rerate/" in row_link(rerated, "化工分厂党支部", href="/rerate/")
    # A 示范牌 may become nothing else here: its 改评 page says so and offers no form.
    top = open_page(client, row_link(rerated, "热电厂党支部", href="/rerate/"))
    assert "等次“示范牌”不能改评：按本考评标准，只有“争先牌”整改后改评为“达标牌”" in top
    assert not [f for f in top.forms if "登记改评" in " ".join(f.buttons)]

    export = xlsx_rows(download(client, rerated.link("导出台账")))
    header, rows = export[0], export[1:]
    coal = next(r for r in rows if r[header.index("组织")] == "一号煤矿党支部")
    assert coal[header.index("得分")] == 89.9 and coal[header.index("等次")] == "达标牌"
    assert rows[0][header.index("组织")] == "热电厂党支部"  # 示范牌 first
    text = report(client, open_page(client, rerated.link("结果与台账")), "生成汇总报告")
    assert "一号煤矿党支部" in text and "89.9" in text and "达标牌" in text
