"""西宁 2021 (000): publish the rubric, write each enterprise's 个性指标, run the five
stages on the demo's three 互评组, find a veto, overturn it, and read the ledger."""

import io
from datetime import date

import openpyxl

from tests.conftest import xining_start

from .pages import (
    create_campaign,
    download,
    fill_sheet,
    login,
    my_sheets,
    open_page,
    pdf_text,
    report,
    sign_submitted,
    submit,
    upload,
    xlsx_rows,
)


def fill_offline(content: bytes) -> bytes:
    """What a secretary does in Excel: full points in every scored row, no veto."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    for row in book["评分表"].iter_rows(min_row=2):
        kind = row[5].value
        if kind == "反向（否决）指标":
            row[6].value = "否"
        elif isinstance(row[2].value, int | float):
            row[6].value = row[2].value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xining_five_stages(client):
    login(client, "dq01")
    # The shipped Xining rubric is a draft: confirm its template and pass mark, publish.
    rubrics = open_page(client, "/rubrics/")
    version = open_page(client, rubrics.link("第 1 版", href="xining"))
    published = submit(client, version.form(action="/publish/"), {"confirm": "on"})
    assert "已发布第 1 版" in published
    # Each enterprise writes its five 个性指标 before the campaign may open.
    slots = open_page(client, published.link("填写个性指标"))
    for url, name in slots.links_to(r"\?enterprise=\d+$"):
        page = open_page(client, slots.url + url)
        form = page.form(button="保存")
        enterprise = name.split("党委")[0]
        texts = {
            field: f"{enterprise}个性指标{n}：安全生产与党建融合"
            for n, field in enumerate(sorted(f for f in form.fields if f.startswith("slot_")), 1)
        }
        assert "已保存" in submit(client, form, texts, page=page)

    detail = create_campaign(
        client,
        name="2026年度西宁以评促建考评",
        version="以评促建",
        scope="JT",
        template="西宁",
        year="2026",
        # Planned three months back: the 抽查点评 is open this month, so every stage may
        # be submitted now (a sheet cannot be submitted before its stage opens).
        start=xining_start(date.today()).isoformat(),
    )
    assert "无法按当前选项抽样" not in detail  # three groups: the draw will work
    opened = submit(client, detail.form(action="/open/"))
    assert "考评活动已开始" in opened and "可在进度页补发" in opened
    campaign = opened.url
    progress = opened.link("进度")

    # 自查自评: the secretary sees her enterprise's own 个性指标 texts everywhere.
    login(client, "sj01")
    [(self_sheet, name)] = my_sheets(client, "自查自评")
    assert name == "炼钢一作业区党支部"
    page = open_page(client, self_sheet)
    assert "华西特钢公司个性指标1：安全生产与党建融合" in page
    assert "由各单位" not in page.text
    workbook = download(client, page.link("下载离线评分表"))
    offline = xlsx_rows(workbook)
    p5 = next(row for row in offline if row[0] == "P5")
    assert p5[1] == "华西特钢公司个性指标5：安全生产与党建融合" and p5[2] == 5  # a number
    assert "华西特钢公司个性指标1" in pdf_text(download(client, page.link("考评报告 PDF")))
    # She fills the sheet offline (in Excel) and uploads it, then submits on the page.
    # The upload is previewed first: each line it changes, nothing stored yet.
    preview = upload(client, page.form(action="/upload/"), fill_offline(workbook))
    assert "离线评分表" in preview and "P5：空 → 5" in preview
    uploaded = submit(client, preview.form(button="确认导入"))
    assert "导入完成" in uploaded and uploaded.url.startswith(self_sheet)
    assert "已提交" in submit(client, uploaded.form(action="/submit/"))

    # 全面考评: the department assigns kp01, who scores every branch; one has a veto.
    login(client, "dq01")
    detail = open_page(client, campaign)
    assign = open_page(client, detail.link("分配考评员"))
    form = assign.form(button="分配")
    assigned = submit(client, form, {"people": [assign.option(form, "people", "kp01")]})
    assert "已分配 16 份考评表" in assigned
    login(client, "kp01")
    full = my_sheets(client, "全面考评")
    assert len(full) == 16
    for url, name in full:
        if name == "炼钢一作业区党支部":
            fill_sheet(client, url, vetoes={"V3": "全年未开展组织生活"})
        elif name == "轧钢厂党支部":
            fill_sheet(
                client, url, short={"C01": "3", "C02": "3", "C03": "3", "C04": "3", "C05": "3"}
            )
        else:
            fill_sheet(client, url)
    login(client, "dq01")
    assert sign_submitted(client, progress) == 17  # 16 reviews and the self-assessment

    # 交叉互评: the draw plans group to group and gives sheets to the other groups.
    detail = open_page(client, campaign)
    draw_page = open_page(client, detail.link("抽样并分配互评"))
    drawn = submit(client, draw_page.form(button="抽样"))
    assert "结果与记录一致" in drawn
    for reviewer in ("kp02", "kp03", "kp04"):
        login(client, reviewer)
        mine = my_sheets(client, "交叉互评")
        assert mine
        for url, _ in mine:
            fill_sheet(client, url)

    # 抽查点评: one branch per enterprise, by inspectors from outside the enterprise.
    login(client, "dq01")
    detail = open_page(client, campaign)
    spot = open_page(client, detail.link("抽样并分配抽查组"))
    form = spot.form(button="抽样")
    drawn = submit(client, form, {"people": [spot.option(form, "people", "kp01")]})
    assert "结果与记录一致" in drawn
    login(client, "kp01")
    for url, _ in my_sheets(client, "抽查点评"):
        fill_sheet(client, url)
    login(client, "dq01")
    assert sign_submitted(client, progress) >= 7 + 3

    # 巩固提升: the veto stands → 不达标, a rectification item, excluded from awards.
    results = open_page(client, campaign).link("结果与台账")
    ledger = submit(client, open_page(client, results).form(button="汇总考评结果"))
    assert "已汇总 16 个组织" in ledger
    row = ledger.row("炼钢一作业区党支部")
    assert "100 / 100 不达标" in row and "否决项 V3 成立" in row
    assert "暂定" not in ledger  # every object has a result and every sheet is signed
    assert "93.8%" in ledger  # 15 of 16
    items = open_page(client, ledger.link("整改清单", href="campaign="))
    assert "整改中" in items.row("炼钢一作业区党支部", "否决项 V3")
    export = xlsx_rows(download(client, ledger.link("导出台账")))
    header, rows = export[0], export[1:]
    veto_row = next(r for r in rows if r[header.index("组织")] == "炼钢一作业区党支部")
    assert veto_row[header.index("等次")] == "不达标"
    assert all(isinstance(r[header.index("得分")], int | float) for r in rows)
    assert isinstance(veto_row[header.index("排名")], int)
    assert rows[-1][header.index("组织")] == "炼钢一作业区党支部"  # 不达标 ranks last

    # The spot-check overturns the veto with a reason: the item is withdrawn.
    form = ledger.form(action="/overturn/")
    # Only the stages after the one that found the veto can overturn it.
    offered = [text for _, text in form.selects["stage"]]
    assert "全面考评" not in " ".join(offered) and "自评" not in " ".join(offered)
    overturned = submit(
        client,
        form,
        {
            "organization": ledger.option(form, "organization", "炼钢一作业区党支部（V3）"),
            "code": "V3",
            "stage": ledger.option(form, "stage", "抽查点评"),
            "reason": "抽查核实：已按期开展组织生活，原认定有误",
        },
    )
    assert "已登记推翻决定，考评结果已按该决定重新汇总" in overturned
    ledger = overturned
    row = ledger.row("炼钢一作业区党支部")
    assert "100 / 100 达标" in row and "V3 已推翻" in row
    items = open_page(client, ledger.link("整改清单", href="campaign="))
    assert "已撤销" in items.row("炼钢一作业区党支部", "否决项 V3")
    text = report(client, ledger, "生成总体评估报告")
    assert "2026年度西宁以评促建考评" in text
    # The overturned veto is counted nowhere.
    assert "认定否决项 0 个" in text and "否决项 V3" not in text
    assert "达标率 100%" in text  # one number format: 100%, never 100.0%
