"""A 党委 brings its own standard: the department writes a rubric from scratch through the
pages (or fills the Excel template), publishes it and runs a campaign on it — the secretary
assesses her branch, the reviewer scores every branch, the department signs and
consolidates, and the ledger gives the scores and grades the rubric's own rules say."""

import io
from datetime import date, timedelta

import openpyxl

from .pages import (
    Page,
    create_campaign,
    download,
    fill_sheet,
    login,
    my_sheets,
    open_page,
    sign_submitted,
    submit,
    upload,
)


def new_rubric(client, **fields) -> Page:
    """新建考评标准: the basic facts and the method; the page of the empty draft follows."""
    page = open_page(client, open_page(client, "/rubrics/").link("新建考评标准"))
    form = page.form(button="创建草稿")
    data = {
        "issuer": "华西集团党委",
        "source_document": "华西党委〔2026〕1号",
        "assesses": page.option(form, "assesses", "党支部"),
    } | fields
    data["method"] = page.option(form, "method", fields["method"])
    draft = submit(client, form, data)
    assert "第 1 版草稿" in draft, draft.text[:500]
    return draft


def add_section(client, draft: Page, **fields) -> Page:
    page = open_page(client, draft.link("添加部分"))
    saved = submit(client, page.form(button="保存"), fields)
    assert f"已保存第 {fields['code']} 部分" in saved, saved.text[:500]
    return saved


def add_item(client, draft: Page, section: str, **fields) -> Page:
    page = open_page(client, draft.link("添加指标"))
    form = page.form(button="保存")
    data = {"section": page.option(form, "section", section)} | fields
    if "kind" in fields:
        data["kind"] = page.option(form, "kind", fields["kind"])
    saved = submit(client, form, data)
    assert f"已保存指标 {fields['code']}" in saved, saved.text[:800]
    return saved


def grade_rules(client, draft: Page, bands=(), rules=(), **fields) -> Page:
    page = open_page(client, draft.link("修改等次规则"))
    data = dict(fields)
    for n, (label, minimum, passed) in enumerate(bands):
        data |= {f"band-{n}-label": label, f"band-{n}-minimum": minimum}
        if passed:
            data[f"band-{n}-passed"] = "on"
    for n, (grade, text) in enumerate(rules):
        data |= {f"rule-{n}-grade": grade, f"rule-{n}-text": text}
    return submit(client, page.form(button="保存等次规则"), data)


def publish(client, draft: Page) -> Page:
    assert "发布前需要解决" not in draft, draft.text[:800]
    published = submit(client, draft.form(action="/publish/"))
    assert "已发布第 1 版" in published, published.text[:500]
    return published


def run_campaign(client, rubric: str, reviews: dict, self_levels=None) -> Page:
    """A campaign on the published rubric over 华西特钢 (six branches): 自查自评 by the
    branches' secretaries, then 全面考评 by kp01; ``reviews``: fill_sheet arguments by branch.
    Returns the ledger after consolidation."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name=f"2026年度{rubric}考评",
        version=rubric,
        scope="GT",
        template="空白方案",
        year="2026",
        start=date.today().isoformat(),
    )
    assert "6 个考评对象" in detail, detail.text[:800]
    for kind, name, by in (
        ("自查自评", "自查自评", "党支部自评"),
        ("全面考评", "全面考评", "党群部"),
    ):
        stage_page = open_page(client, detail.link("添加阶段"))
        form = stage_page.form(button="保存")
        detail = submit(
            client,
            form,
            {
                "kind": stage_page.option(form, "kind", kind),
                "name": name,
                "assessed_by": stage_page.option(form, "assessed_by", by),
                "selection": stage_page.option(form, "selection", "全部"),
                "opens_on": date.today().isoformat(),
                "deadline": (date.today() + timedelta(days=30)).isoformat(),
            },
        )
        assert "已保存阶段" in detail, detail.text[:800]
    opened = submit(client, detail.form(action="/open/"))
    assert "考评活动已开始" in opened, opened.text[:800]
    campaign = opened.url
    assign = open_page(client, opened.link("分配考评员"))
    form = assign.form(button="分配")
    assert "已分配 6 份考评表" in submit(
        client, form, {"people": [assign.option(form, "people", "kp01")]}
    )

    login(client, "sj01")
    [(own, name)] = my_sheets(client, "自查自评")
    assert name == "炼钢一作业区党支部"
    fill_sheet(client, own, levels=self_levels)

    login(client, "kp01")
    listed = my_sheets(client, "全面考评")
    assert len(listed) == 6
    for url, name in listed:
        fill_sheet(client, url, **reviews.get(name, {}))

    login(client, "dq01")
    assert sign_submitted(client, open_page(client, campaign).link("进度")) == 7
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    ledger = submit(client, results.form(button="汇总考评结果"))
    assert "已汇总 6 个组织" in ledger, ledger.text[:800]
    return ledger


def test_a_checklist_rubric_of_our_own(client):
    login(client, "dq01")
    draft = new_rubric(
        client,
        name="华西集团党支部工作清单",
        code="huaxi-checklist",
        method="逐项评定",
        levels="达标=1\n基本达标=0.5\n未达标=0",
    )
    assert "没有任何指标" in draft  # publishing waits for the items
    draft = add_section(client, draft, code="一", title="基本制度")
    for code, text in (("1", "三会一课按期召开"), ("2", "主题党日每月开展"), ("3", "党费按月收缴")):
        draft = add_item(client, draft, "基本制度", code=code, text=text, points="1", step="0.5")
    assert "评定分值（占该项分值）：达标 1、基本达标 0.5、未达标 0" in draft
    publish(client, draft)

    ledger = run_campaign(
        client,
        "华西集团党支部工作清单",
        {
            "炼钢一作业区党支部": {"levels": {"2": "基本达标"}},
            "炼钢二作业区党支部": {"levels": {"1": "未达标", "3": "未达标"}},
        },
    )
    assert "2.5 / 3 达标率 83.33%" in ledger.row("炼钢一作业区党支部")
    assert "1 / 3 达标率 33.33%" in ledger.row("炼钢二作业区党支部")
    assert "3 / 3 达标率 100%" in ledger.row("连铸作业区党支部")
    # 15.5 of 18 points met over the six branches.
    assert "要点达标率 86.11%" in ledger


def test_a_summed_rubric_with_a_key_item_and_a_veto(client):
    login(client, "dq01")
    draft = new_rubric(
        client, name="华西集团党支部规范化考评", code="huaxi-points", method="计分制"
    )
    draft = add_section(client, draft, code="一", title="组织建设", points="10")
    draft = add_section(client, draft, code="二", title="反向指标")

    # A mistake keeps every typed value and says what is wrong, in Chinese.
    page = open_page(client, draft.link("添加指标"))
    form = page.form(button="保存")
    refused = submit(
        client,
        form,
        {
            "section": page.option(form, "section", "组织建设"),
            "code": "1.1",
            "text": "按期换届，班子配备齐全",
            "points": "0",
            "key": "on",
        },
    )
    assert "分值应大于 0" in refused
    kept = refused.form(button="保存")
    assert (kept.fields["code"], kept.fields["points"]) == ("1.1", "0")
    assert "按期换届，班子配备齐全</textarea>" in refused.html
    assert [on for _, _, on in kept.checkboxes["key"]] == [True]

    draft = add_item(
        client, draft, "组织建设", code="1.1", text="按期换届，班子配备齐全", points="4", key="on"
    )
    draft = add_item(
        client,
        draft,
        "组织建设",
        code="1.2",
        text="“三会一课”按期召开",
        points="6",
        parts="1.2.a｜支委会每月1次｜3\n1.2.b｜党课每季度1次｜3",
    )
    draft = add_item(
        client,
        draft,
        "反向指标",
        code="V1",
        text="书记不称职、工作停滞",
        kind="反向（否决）指标",
        points="",
    )
    assert "没有设置等次" in draft

    # Bands with a lower bound on the bottom one leave scores without a grade: refused,
    # with every typed band kept.
    refused = grade_rules(
        client,
        draft,
        bands=[("合格", "8", True), ("基本合格", "6", True), ("不合格", "3", False)],
    )
    assert "最低一档“不合格”不应设下限" in refused, refused.text[:1500]
    assert refused.form(button="保存等次规则").fields["band-2-minimum"] == "3"
    draft = grade_rules(
        client,
        draft,
        bands=[("合格", "8", True), ("基本合格", "6", True), ("不合格", "", False)],
        rules=[("基本合格", "对书记谈话提醒"), ("不合格", "组织诫勉，纳入后进党组织")],
        key_items_cap_top="on",
        basis="华西党委〔2026〕1号",
    )
    assert "已保存等次规则" in draft
    assert "合格 ≥ 8 分" in draft.text and "直接确定为“不合格”" in draft
    assert "不能评为“合格”" in draft
    publish(client, draft)

    ledger = run_campaign(
        client,
        "华西集团党支部规范化考评",
        {
            "炼钢一作业区党支部": {"short": {"1.1": "0.5"}},
            "炼钢二作业区党支部": {"vetoes": {"V1": "书记全年未组织开展活动"}},
        },
    )
    capped = ledger.row("炼钢一作业区党支部")
    assert "9.5 / 10 基本合格" in capped and "▲项 1.1 未达标" in capped
    assert "10 / 10 不合格" in ledger.row("炼钢二作业区党支部")
    assert "10 / 10 合格" in ledger.row("连铸作业区党支部")
    consequences = open_page(client, ledger.link("结果运用"))
    assert "谈话提醒" in consequences.row("炼钢一作业区党支部")


def test_a_whole_rubric_from_the_excel_template(client):
    login(client, "dq01")
    draft = new_rubric(client, name="华西集团党建考核表", code="huaxi-excel", method="计分制")
    importer = open_page(client, draft.link("用 Excel 导入"))
    book = openpyxl.load_workbook(io.BytesIO(download(client, importer.link("空白导入模板"))))
    items = book["指标"]
    items.delete_rows(2, items.max_row)
    for row in (
        ["一", "班子建设", 10, "", "1.1", "班子团结", 5, 0.5, "▲", "", "", "", "", "", ""],
        ["一", "班子建设", 10, "", "1.2", "民主生活会", 5, 1, "", "", "", "", "", "", ""],
        ["二", "否决", "", "", "V1", "发生重大责任事故", 0, 0.5, "", "是", "反向（否决）指标"],
    ):
        items.append(row)
    bands = book["等次"]
    bands.delete_rows(2, bands.max_row)
    for row in (["优秀", 9, "是"], ["合格", 6, "是"], ["不合格", None, "否"]):
        bands.append(row)
    out = io.BytesIO()
    book.save(out)

    preview = upload(client, importer.form(button="上传并预览"), out.getvalue(), "考核表.xlsx")
    assert "错误 0" in preview and "等次：优秀 ≥ 9" in preview, preview.text[:800]
    done = submit(client, preview.form(button="确认导入"))
    assert "导入完成" in done, done.text[:500]
    draft = open_page(client, "/rubrics/huaxi-excel/v1/")
    assert "班子团结" in draft and "否决项" in draft
    assert "优秀 ≥ 9 分" in draft.text and "不能评为“优秀”" in draft
    publish(client, draft)
    exported = openpyxl.load_workbook(io.BytesIO(download(client, draft.link("导出 Excel"))))
    assert [r[0] for r in exported["等次"].iter_rows(min_row=2, values_only=True)] == [
        "优秀",
        "合格",
        "不合格",
    ]
