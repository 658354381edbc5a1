"""The enterprise 党委s' "7条具体措施" (000, attachment 2). When a 党委 is itself
drawn for cross-review and its reviewing group has one reviewer, that reviewer gets the
branch sheet and the 7-measures checklist, each its own sheet; the signed checklists show
on the results page, in the results ledger (Excel) and in the 总体评估报告. Pages only,
from the demo."""

import io
from datetime import date, timedelta

import openpyxl

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
)

NAME = "2026年度党委规范化建设交叉互评"
ENTERPRISES = ("华西特钢公司党委", "华西能化公司党委", "华西物流公司党委")
MEASURES = "中央组织部关于抓好党支部工作条例落实的7条具体措施"


def _campaign(client) -> tuple[str, str]:
    """dq01 plans a 涪陵 campaign over the enterprise 党委s only, with the 7-measures
    checklist, started long enough ago that its 交叉互评 is open; opens it and draws."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name=NAME,
        version="涪陵",
        committee_version="7条具体措施",
        scope="JT",
        template="西宁",
        year="2026",
        kinds=["党委"],  # each enterprise's population is the 党委 itself: always drawn
        start=(date.today() - timedelta(days=50)).isoformat(),
    )
    assert "交叉互评时评估党委“7条具体措施”" in detail
    opened = submit(client, detail.form(action="/open/"))
    assert "考评活动已开始" in opened
    draw_page = open_page(client, opened.link("抽样并分配互评"))
    drawn = submit(client, draw_page.form(button="抽样"))
    assert "结果与记录一致" in drawn
    return opened.url, opened.link("进度")


def _cross_sheets(client, reviewer: str) -> dict[str, list[tuple[str, str]]]:
    """The reviewer's 交叉互评 sheets by the rubric each page says it scores."""
    login(client, reviewer)
    out: dict[str, list[tuple[str, str]]] = {}
    for url, name in my_sheets(client, "交叉互评"):
        page = open_page(client, url)
        rubric = MEASURES if MEASURES in page.text.split("标准：")[1][:60] else "涪陵"
        out.setdefault(rubric, []).append((url, name))
    return out


def test_each_reviewer_gets_the_7_measures_beside_the_branch_sheet(client):
    campaign, progress = _campaign(client)
    checklists, branch_sheets = [], []
    for reviewer in ("kp02", "kp03", "kp04"):
        mine = _cross_sheets(client, reviewer)
        # The group's one reviewer scores the drawn 党委 on both: two sheets, not one.
        assert [n for _, n in mine.get("涪陵", [])] == [n for _, n in mine.get(MEASURES, [])]
        assert len(mine[MEASURES]) == 1, mine
        checklists += [(reviewer, *s) for s in mine[MEASURES]]
        branch_sheets += [(reviewer, *s) for s in mine["涪陵"]]
    assert sorted(n for *_, n in checklists) == sorted(ENTERPRISES)

    # Each reviewer fills both; 华西特钢's checklist has two measures short.
    for reviewer, url, name in checklists:
        login(client, reviewer)
        levels = {"2": "基本达标", "5": "未达标"} if name == "华西特钢公司党委" else {}
        page = open_page(client, url)
        form = page.form(action="/submit/")
        assert {"v_1", "v_7"} <= set(form.selects)  # the seven measures, judged by level
        fill_sheet(client, url, levels=levels)
    for reviewer, url, _ in branch_sheets:
        login(client, reviewer)
        fill_sheet(client, url)
    login(client, "dq01")
    assert sign_submitted(client, progress) == 6

    # The results page: one row per 党委 with its compliance rate and level counts.
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    results = submit(client, results.form(button="汇总考评结果"))
    section = results.text.split("党委落实“7条具体措施”评估")[1].split("查询")[0]
    row = section.split("华西特钢公司党委")[1].split("华西能化公司党委")[0]
    assert "5.5 / 7" in row and "78.57%" in row
    assert "达标 5、基本达标 1、未达标 1" in row and "过筛子" in row
    assert "7 / 7" in section and "100%" in section

    # The results ledger (Excel) carries them on a sheet of their own.
    book = openpyxl.load_workbook(io.BytesIO(download(client, results.link("导出台账"))))
    assert "党委7条具体措施" in book.sheetnames
    rows = list(book["党委7条具体措施"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert sorted(r[header.index("党委")] for r in body) == sorted(ENTERPRISES)
    gt = next(r for r in body if r[header.index("党委")] == "华西特钢公司党委")
    assert gt[header.index("得分")] == 5.5 and gt[header.index("满分")] == 7
    assert gt[header.index("达标率（%）")] == 78.57
    assert gt[header.index("未达标（项）")] == 1 and gt[header.index("基本达标（项）")] == 1
    assert "5 由县级党委安排" in gt[header.index("未达标措施")]

    # The 总体评估报告 has its own section.
    text = report(client, results, "生成总体评估报告")
    assert "党委落实“7条具体措施”情况" in text
    assert "华西特钢公司党委" in text and "78.57%" in text
