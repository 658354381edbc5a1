"""涪陵 2017 (004): one annual on-site scoring of every enterprise party organization, 党委
included; an unmet ▲ item caps the grade, and the ranking says why."""

from datetime import date

from .pages import (
    create_campaign,
    download,
    fill_sheet,
    login,
    my_sheets,
    open_page,
    report,
    sign_submitted,
    submit,
    xlsx_rows,
)


def test_fuling_annual_with_committees_and_key_item_cap(client):
    login(client, "dq01")
    detail = create_campaign(
        client,
        name="2026年度涪陵规范化建设考核",
        version="涪陵",
        scope="JT",
        template="涪陵",
        year="2026",
        start=date.today().isoformat(),
    )
    # Every kind the rubric lists, enterprise 党委 included (the assessing 党委 is not).
    assert "华西能源集团党委所属党委、党总支、党支部（19 个考评对象）" in detail
    opened = submit(client, detail.form(action="/open/"))
    assert "考评活动已开始" in opened
    campaign = opened.url
    assign = open_page(client, opened.link("分配考评员"))
    form = assign.form(button="分配")
    assert "已分配 19 份考评表" in submit(
        client, form, {"people": [assign.option(form, "people", "kp01")]}
    )

    login(client, "kp01")
    listed = my_sheets(client, "实地考核评分")
    assert len(listed) == 19  # two enterprises each have a 机关党支部
    mine = {name: url for url, name in listed}
    assert {"华西特钢公司党委", "华西能化公司党委", "华西物流公司党委"} <= set(mine)
    committee = open_page(client, mine["华西特钢公司党委"])
    assert "国有企业章程" in committee and "纪委" in committee  # enterprise-level items
    # 99.5 with ▲ 2.5 (民主集中制) half a point short; 95.5 with every ▲ item met.
    shortfalls = {
        "炼钢二作业区党支部": {"2.5": "0.5"},
        "连铸作业区党支部": {"1.4": "1", "1.8": "1", "3.5": "2", "3.6": "0.5"},
    }
    for url, name in listed:
        fill_sheet(client, url, short=shortfalls.get(name))

    login(client, "dq01")
    progress = open_page(client, campaign).link("进度")
    assert sign_submitted(client, progress) == 19
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    ledger = submit(client, results.form(button="汇总考评结果"))
    assert "已汇总 19 个组织" in ledger and "暂定" not in ledger
    capped = ledger.row("炼钢二作业区党支部")
    assert "99.5 / 100 基本合格" in capped
    assert "▲项 2.5 未达标：等次不能为“合格”" in capped
    assert "95.5 / 100 合格" in ledger.row("连铸作业区党支部")
    assert ledger.row("华西特钢公司党委", "100 / 100 合格")
    assert ledger.html.index("连铸作业区党支部") < ledger.html.index("炼钢二作业区党支部")

    export = xlsx_rows(download(client, ledger.link("导出台账")))
    header, rows = export[0], export[1:]
    names = [r[header.index("组织")] for r in rows]
    assert names[-1] == "炼钢二作业区党支部" and names[-2] == "连铸作业区党支部"
    last = rows[-1]
    assert (last[header.index("排名")], last[header.index("得分")]) == (19, 99.5)
    assert last[header.index("等次说明")] == "▲项 2.5 未达标：等次不能为“合格”"
    assert all(isinstance(r[header.index("满分")], int | float) for r in rows)

    consequences = open_page(client, ledger.link("结果运用"))
    assert "谈话提醒" in consequences.row("炼钢二作业区党支部")

    # The leader reads the same ranking and reasons, and cannot change anything.
    login(client, "ld01")
    campaigns = open_page(client, "/campaigns/")
    ledger = open_page(client, open_page(client, campaigns.link("2026年度涪陵")).link("结果与台账"))
    assert "▲项 2.5 未达标：等次不能为“合格”" in ledger.row("炼钢二作业区党支部")
    assert not [f for f in ledger.forms if "/consolidate/" in f.action or "/rerate/" in f.action]
    assert (
        client.post(open_page(client, "/campaigns/").link("2026年度涪陵") + "open/").status_code
        == 403
    )
    text = report(client, ledger, "生成汇总报告")
    assert "▲项 2.5 未达标" in text
    assert text.index("连铸作业区党支部") < text.index("炼钢二作业区党支部")
    assert "华西特钢公司党委" in text
