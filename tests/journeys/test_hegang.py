"""河钢 (002): each execution point judged 达标 / 基本达标 / 未达标; results are compliance
rates, overall and by area. The plan is made by hand: a blank plan and one added stage."""

from datetime import date, timedelta

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


def test_hegang_compliance_rates(client):
    login(client, "dq01")
    detail = create_campaign(
        client,
        name="2026年度河钢党建工作质量检查",
        version="河钢",
        scope="WL",
        template="空白方案",
        year="2026",
        start=date.today().isoformat(),
    )
    assert "4 个考评对象" in detail
    stage_page = open_page(client, detail.link("添加阶段"))
    form = stage_page.form(button="保存")
    added = submit(
        client,
        form,
        {
            "kind": stage_page.option(form, "kind", "实地考核评分"),
            "name": "执行标准检查",
            "assessed_by": stage_page.option(form, "assessed_by", "党群部考评员"),
            "selection": stage_page.option(form, "selection", "全部"),
            "opens_on": date.today().isoformat(),
            "deadline": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert "已保存阶段" in added
    opened = submit(client, added.form(action="/open/"))
    assert "考评活动已开始" in opened
    campaign = opened.url
    assign = open_page(client, opened.link("分配考评员"))
    form = assign.form(button="分配")
    assert "已分配 4 份考评表" in submit(
        client, form, {"people": [assign.option(form, "people", "kp01")]}
    )

    login(client, "kp01")
    listed = my_sheets(client, "执行标准检查")
    assert len(listed) == 4
    for url, name in listed:
        if name == "车队党支部":
            page = fill_sheet(client, url, levels={"1": "未达标", "2": "基本达标", "7": "未达标"})
            # 35.5 of 38 points; the first area (党的政治建设, points 1–3) at 1.5 of 3.
            assert "达标率 93.42%" in page
            assert "1.5 / 3（50%）" in page
        else:
            fill_sheet(client, url)

    login(client, "dq01")
    assert sign_submitted(client, open_page(client, campaign).link("进度")) == 4
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    ledger = submit(client, results.form(button="汇总考评结果"))
    assert "已汇总 4 个组织" in ledger
    assert "35.5 / 38 达标率 93.42%" in ledger.row("车队党支部")
    # 3 × 38 + 35.5 = 149.5 of 152 points met.
    assert "要点达标率 98.36%" in ledger
    assert ledger.html.index("车队党支部") > ledger.html.index("储运中心党支部")
    items = open_page(client, ledger.link("整改清单", href="campaign="))
    assert items.row("车队党支部", "未达标要点")

    export = xlsx_rows(download(client, ledger.link("导出台账")))
    header, rows = export[0], export[1:]
    fleet = next(r for r in rows if r[header.index("组织")] == "车队党支部")
    assert (fleet[header.index("得分")], fleet[header.index("满分")]) == (35.5, 38)
    assert fleet[header.index("得分率（%）")] == 93.42
    text = report(client, ledger, "生成汇总报告")
    assert "执行要点总体达标率 98.36%" in text and "车队党支部" in text
