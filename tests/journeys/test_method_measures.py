"""Each method reports its own measure. A checklist (河钢) reports per enterprise its
compliance rate (要点达标率) and how many execution points were judged at each level, never
a 达标 count or a 0% pass rate it has no tiers for; a summed rubric with two passing grades
(涪陵) reports 合格率 and 合格+基本合格率, each saying what it counts. The results page, the
leader's home page, the Excel ledger and the summary PDF show the same figures."""

import io
import re
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


def _statistics(content: bytes) -> list[tuple]:
    """The Excel ledger's sheet of figures over all the campaign's objects."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book["各企业统计"].iter_rows(values_only=True))


def _dashboard(home, name: str) -> str:
    """The text of a campaign's card on the home page."""
    start = home.text.index(f"{name} · 考评结果")
    return home.text[start : start + 200]


def _hegang_campaign(client) -> str:
    """A 河钢 checklist campaign over 华西物流 (4 branches), scored through the pages: one
    branch with execution point 1 and 7 未达标 and point 2 基本达标, the rest all 达标."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name="2026年度河钢执行标准检查",
        version="河钢",
        scope="WL",
        template="空白方案",
        year="2026",
        start=date.today().isoformat(),
    )
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
    opened = submit(client, added.form(action="/open/"))
    campaign = opened.url
    assign = open_page(client, opened.link("分配考评员"))
    form = assign.form(button="分配")
    submit(client, form, {"people": [assign.option(form, "people", "kp01")]})
    login(client, "kp01")
    for url, name in my_sheets(client, "执行标准检查"):
        levels = {"1": "未达标", "2": "基本达标", "7": "未达标"} if name == "车队党支部" else {}
        fill_sheet(client, url, levels=levels)
    login(client, "dq01")
    assert sign_submitted(client, open_page(client, campaign).link("进度")) == 4
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    submit(client, results.form(button="汇总考评结果"))
    return campaign


def _figures(text: str) -> str:
    """The results page's figures: from its first card to the 软弱涣散、后进 list after them
    (the page's help above names that list too)."""
    start = text.index("已出结果 / 考评对象")
    return text[start : text.index("软弱涣散", start)]


def test_checklist_reports_compliance_and_points_per_level(client):
    campaign = _hegang_campaign(client)
    ledger = open_page(client, open_page(client, campaign).link("结果与台账"))
    summary = _figures(ledger.text)
    # 3 × 38 + 35 execution points 达标, one 基本达标, two 未达标: 149.5 of 152 points.
    assert "要点达标率 98.36% 149.5 / 152 分" in summary
    assert "要点评定分布 达标 149 项 基本达标 1 项 未达标 2 项" in summary
    assert "各企业要点达标率" in summary
    row = ledger.row("华西物流公司党委", "4 / 4")
    assert re.sub(r"\s+", " ", row).strip() == "华西物流公司党委 4 / 4 149 1 2 98.36%"
    # No pass count or pass rate for a method without tiers, no unlabeled count.
    assert "0%" not in summary and "等次分布" not in summary and "达标率 0" not in ledger.text

    rows = _statistics(download(client, ledger.link("导出台账")))
    assert rows[0] == (
        "企业",
        "考评对象（个）",
        "已出结果（个）",
        "达标（项）",
        "基本达标（项）",
        "未达标（项）",
        "要点达标率（%）",
    )
    assert rows[1] == ("合计", 4, 4, 149, 1, 2, 98.36)
    assert rows[2] == ("华西物流公司党委", 4, 4, 149, 1, 2, 98.36)

    text = report(client, ledger, "生成汇总报告").replace(" ", "")
    assert "执行要点总体达标率98.36%（达标149项、基本达标1项、未达标2项）" in text
    assert "华西物流公司党委4/414912" in text
    assert "各企业要点达标率" in text and "要点评定分布" in text and "历次考评要点达标率" in text
    assert "各企业达标率" not in text and "等次分布" not in text

    home = open_page(client, "/")
    card = _dashboard(home, "2026年度河钢执行标准检查")
    assert "要点达标率 98.36%" in card and "达标率 0" not in card
    assert 'aria-label="各企业要点达标率"' in home.html


def test_fuling_reports_both_pass_rates_saying_what_each_counts(client):
    login(client, "dq01")
    detail = open_page(
        client, open_page(client, "/campaigns/").link("2025年度党支部规范化建设考核")
    )
    ledger = open_page(client, detail.link("结果与台账"))
    summary = _figures(ledger.text)
    # 19 objects: 10 合格, 7 基本合格, 2 不合格.
    assert "合格率 52.6% 10 / 19 个" in summary
    assert "合格+基本合格率 89.5% 17 / 19 个" in summary
    assert "等次分布 合格 10 个 基本合格 7 个 不合格 2 个" in summary
    assert "合格+基本合格率：评为合格或基本合格的考评对象占全部考评对象的比例" in summary
    assert " 达标率" not in summary  # 基本合格 is never counted under an unexplained 达标
    row = ledger.row("华西特钢公司党委", "8 / 8")
    assert re.sub(r"\s+", " ", row).strip() == "华西特钢公司党委 8 / 8 4 3 1 50% 87.5%"

    rows = _statistics(download(client, ledger.link("导出台账")))
    assert rows[0][3:] == (
        "合格（个）",
        "基本合格（个）",
        "不合格（个）",
        "合格率（%）",
        "合格+基本合格率（%）",
    )
    assert rows[1] == ("合计", 19, 19, 10, 7, 2, 52.6, 89.5)
    assert ("华西特钢公司党委", 8, 8, 4, 3, 1, 50, 87.5) in rows

    text = report(client, ledger, "生成汇总报告").replace(" ", "")
    assert "合格10个、基本合格7个、不合格2个；合格率52.6%，合格+基本合格率89.5%" in text
    assert "华西特钢公司党委8/843150%87.5%" in text
    assert "各企业合格+基本合格率" in text and "历次考评合格+基本合格率" in text

    home = login(client, "ld01")
    card = _dashboard(home, "2025年度党支部规范化建设考核（演示，已完成）")
    assert "合格率 52.6% 合格+基本合格率 89.5%" in card
    assert 'aria-label="各企业合格+基本合格率"' in home.html
    assert 'aria-label="历次考评合格+基本合格率"' in home.html


def test_a_campaign_with_no_result_yet_shows_no_rate(client):
    """Before anything is consolidated there is no rate to read: "—", never 0%."""
    login(client, "dq01")
    detail = open_page(
        client, open_page(client, "/campaigns/").link("2026年度党支部标准化建设考评")
    )
    text = open_page(client, detail.link("结果与台账")).text
    figures = _figures(text)
    assert "0 / 19" in figures and "合格率 —" in figures
    assert "%" not in figures.replace("合格率：", ""), figures
