"""西北能化 2025 (001) 结对提升: a pair signs its 结对提升责任书, records visits, and gets a
quarterly 85 → 达标; a second pair scores 55 → a new plan opens and a 约谈 of the
secretary is recorded. Driven through the pages only, from the demo."""

from datetime import date

from branches.toolkit.periods import quarter_of

from .pages import download, login, open_page, pdf_text, row_link, submit, xlsx_rows
from .problem_flow import ask_to_close, close

TODAY = date.today()
_, QUARTER, FIRST_DAY = quarter_of(TODAY)


def pairing_page(client, branch: str):
    listing = open_page(client, open_page(client, "/mechanisms/").link("结对提升"))
    return open_page(client, listing.link(branch))


def test_pair_signs_visits_and_scores_85_which_is_dabiao(client):
    # The department pairs 孙志华 (纪委副书记, bf03) with 一号煤矿党支部.
    login(client, "dq01")
    new = open_page(client, open_page(client, "/mechanisms/pairings/").link("新建结对"))
    form = new.form(button="保存")
    created = submit(
        client,
        form,
        {
            "organization": new.option(form, "organization", "一号煤矿党支部"),
            "helper_name": "孙志华",
            "helper_post": "纪委副书记",
            "helper": new.option(form, "helper", "bf03"),
            "start": FIRST_DAY.isoformat(),
            "end": date(TODAY.year + 1, 6, 30).isoformat(),
            "targets": "“三会一课”台账齐全率 100%\n群众服务诉求 3 个工作日内响应",
        },
    )
    assert "已建立结对" in created and "待签订" in created
    url = created.url

    # Three signatures: 甲方 (the helper), 乙方 (the branch's secretary), 监督方.
    login(client, "bf03")
    page = pairing_page(client, "一号煤矿党支部")
    assert page.url == url
    assert "甲方签字" in page and "乙方签字" not in page  # each signs for their own side
    assert "甲方已签字" in submit(client, page.form(action="/sign_a/"))
    login(client, "sj02")
    page = open_page(client, url)
    assert "乙方已签字" in submit(client, page.form(action="/sign_b/"))
    login(client, "dq01")
    signed = submit(client, open_page(client, url).form(action="/sign_s/"))
    assert "三方签字完毕，责任书生效" in signed and "帮扶中" in signed

    # The agreement PDF is laid out like the attachment, with the signatures.
    text = pdf_text(download(client, signed.link("责任书 PDF")))
    assert "政工部门负责人与党支部结对提升责任书" in text
    assert "甲方（帮扶方）：政工部门负责人：孙志华，职务：纪委副书记" in text
    assert "乙方（被帮扶方）：一号煤矿党支部" in text
    assert "监督方：华西能化公司党委党群部" in text
    assert "党员对标准化建设的知晓率达100%、满意度达85%以上" in text.replace(" ", "")
    assert "乙方（签字/盖章）：邹平" in text and "已在系统中签字" in text

    # The helper diagnoses, plans and visits twice this month: 2 / 2 meets the agreement.
    login(client, "bf03")
    page = open_page(client, url)
    submit(
        client,
        page.form(action="/diagnosis/"),
        {
            "findings": "看资料、访党员 10 人",
            "core_weakness_1": "“三会一课”记录不全",
            "written_on": TODAY.isoformat(),
        },
    )
    submit(
        client,
        page.form(action="/plan_item/"),
        {"problem": "重建会议台账", "responsible": "邹平", "deadline": TODAY.isoformat()},
    )
    first = submit(
        client,
        page.form(action="/visit/"),
        {"on": TODAY.isoformat(), "form": "一对一指导", "content": "示范台账整理"},
    )
    assert "已记入帮扶台账" in first
    assert f"{TODAY.year}年{TODAY.month}月 1 / 2 次 不足" in first.row(f"{TODAY.month}月")
    second = submit(
        client,
        page.form(action="/visit/"),
        {"on": TODAY.isoformat(), "form": "看资料", "content": "检查整改进展"},
    )
    assert f"{TODAY.year}年{TODAY.month}月 2 / 2 次 达到要求" in second.row(f"{TODAY.month}月")

    # The branch reports monthly and reports the plan's action done; the helper closes it.
    login(client, "sj02")
    page = open_page(client, url)
    reported = submit(
        client,
        page.form(action="/report/"),
        {"year": TODAY.year, "month": TODAY.month, "progress": "台账已补齐 80%"},
    )
    assert "已报告本月进展" in reported
    item = row_link(page, "重建会议台账", "整改与销号")  # an item of the branch's one list
    ask_to_close(client, item, measure="台账已重建", responsible="邹平")
    login(client, "bf03")
    close(client, item, "核实")
    page = open_page(client, url)

    # The ledger exports the visits.
    ledger = xlsx_rows(download(client, page.link("帮扶台账 Excel")))
    assert ledger[0][:3] == ("下沉日期", "方式", "帮扶内容")
    assert len(ledger) == 3

    # The department scores the quarter 85: 达标, no 约谈, no new plan.
    login(client, "dq01")
    page = open_page(client, url)
    scored = submit(
        client,
        page.form(action="/evaluate/"),
        {"year": TODAY.year, "quarter": QUARTER, "score": "85", "note": "台账明显改善"},
    )
    assert f"{TODAY.year}年第{QUARTER}季度帮扶成效 85 分：达标。" in scored
    assert "可申报“标准化提升示范党支部”" in scored.row("85")
    assert "约谈" not in scored.row("85")
    assert "重新制定的帮扶方案" not in scored
    assert "约谈邹平" not in open_page(client, "/mechanisms/interviews/")


def test_second_pair_scores_55_opens_a_new_plan_and_records_a_talk(client):
    login(client, "dq01")
    page = pairing_page(client, "化工分厂党支部")  # the demo's pair: 刘强 (bf02) helps it
    assert "帮扶中" in page and "第 1 版个性化提升方案" in page
    scored = submit(
        client,
        page.form(action="/evaluate/"),
        {"year": TODAY.year, "quarter": QUARTER, "score": "55", "note": "进展缓慢"},
    )
    assert "帮扶成效 55 分：重新制定帮扶方案。" in scored
    assert "已登记对支部书记的约谈" in scored and "已开启重新制定的帮扶方案" in scored
    assert "第 2 版重新制定的帮扶方案" in scored
    assert "约谈窦建军" in scored

    # The same quarter cannot be scored twice.
    again = submit(
        client,
        scored.form(action="/evaluate/"),
        {"year": TODAY.year, "quarter": QUARTER, "score": "90"},
    )
    assert "已评估过" in again

    # The talk is on the 约谈 list, where the department records it; it exports.
    talks = open_page(client, "/mechanisms/interviews/")
    assert "55 分：重新制定帮扶方案，未达标，约谈支部书记" in talks.row("窦建军")
    recorded = submit(
        client,
        talks.form(action="/record/"),
        {"held_on": TODAY.isoformat(), "record": "书记表态一个月内补齐台账"},
    )
    assert "已登记约谈窦建军的情况" in recorded
    rows = xlsx_rows(download(client, recorded.link("导出 Excel")))
    assert any(r[1] == "窦建军" and r[4] == "书记表态一个月内补齐台账" for r in rows)

    # The helper works on the new plan; the secretary of another branch sees nothing.
    login(client, "bf02")
    assert "第 2 版重新制定的帮扶方案" in open_page(client, scored.url)
    login(client, "sj01")
    assert client.get(scored.url).status_code == 404
