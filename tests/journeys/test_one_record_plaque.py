"""One record of truth for a quarter's 亮牌: whichever way an instrument's score arrives
(hand-entered sheets, the pairing's quarterly 帮扶成效 evaluation, the 互查评分表, a late
evaluation after 汇总), the board, the results page, the ledger Excel and the summary PDF
show the same score and 牌 — the consolidated result. A value that arrives after 汇总
marks the result 需重新汇总 and changes nothing until the department consolidates again.
Pages only, from the demo."""

import re

from .pages import (
    Page,
    download,
    login,
    open_page,
    report,
    submit,
    xlsx_rows,
)
from .plaque_flow import (
    QUARTER,
    TODAY,
    evaluate_pairing,
    fill_inspection,
    hand_entered_quarter,
)


def inspect_today(client, branch: str, deductions: dict[str, tuple[str, str]]) -> str:
    """dq01 schedules a 互查 of ``branch`` for today with hc01; hc01 fills the 互查评分表
    with full marks less ``deductions``. Returns the page's text."""
    login(client, "dq01")
    page = open_page(client, "/mechanisms/inspections/new/")
    form = page.form(button="安排")
    created = submit(
        client,
        form,
        {
            "organization": page.option(form, "organization", branch),
            "year": str(TODAY.year),
            "quarter": str(QUARTER),
            "scheduled_on": TODAY.isoformat(),
            "inspectors": [page.option(form, "inspectors", "hc01")],
        },
    )
    assert "已安排" in created, created.text[:500]
    login(client, "hc01")
    return fill_inspection(client, open_page(client, created.url), deductions)


def consolidate(client, campaign: str) -> Page:
    login(client, "dq01")
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    return submit(client, results.form(button="汇总考评结果"))


def board(client) -> Page:
    login(client, "dq01")
    return open_page(client, f"/mechanisms/board/?year={TODAY.year}&quarter={QUARTER}")


def every_view(client, campaign: str, branch: str) -> dict[str, tuple[str, str]]:
    """(score, 牌) of ``branch`` as the board, its Excel, the results page, the ledger
    Excel and the summary PDF show it."""
    seen = {}
    page = board(client)
    row = page.row(branch)
    match = re.search(r"([\d.]+) (示范牌|达标牌|争先牌)", row)
    assert match, row
    seen["board"] = match.groups()
    rows = xlsx_rows(download(client, page.link("导出 Excel")))
    header, by_name = rows[0], {r[0]: r for r in rows[1:]}
    line = by_name[branch]
    seen["board Excel"] = (f"{line[header.index('综合得分')]:g}", line[header.index("牌级")])

    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    match = re.search(r"([\d.]+) / 100 (示范牌|达标牌|争先牌)", results.row(branch))
    assert match, results.row(branch)
    seen["results page"] = match.groups()
    rows = xlsx_rows(download(client, results.link("导出台账")))
    header = rows[0]
    line = next(r for r in rows[1:] if r[header.index("组织")] == branch)
    seen["ledger Excel"] = (f"{line[header.index('得分')]:g}", line[header.index("等次")])

    text = report(client, results, "生成汇总报告")
    plate = r"\D{0,20}?([\d.]+) / 100 (示范牌|达标牌|争先牌)"
    match = re.search(re.escape(branch) + plate, text)
    assert match, text
    seen["summary PDF"] = match.groups()
    return seen


def test_one_plaque_quarter_through_every_entry_path(client):
    # Sheets: every instrument of every branch entered by hand and signed.
    campaign = hand_entered_quarter(
        client, {"热电厂党支部": (90, 90, 90), "化工分厂党支部": (90, 90, 90)}
    )
    # 互查: the 互查评分表 of 热电厂 scores 95; it is that quarter's 互查 input.
    assert "95 分" in inspect_today(client, "热电厂党支部", {"5.3": ("0", "党员积分未公示")})
    # 结对: the pairing's quarterly 帮扶成效 evaluation of 热电厂 is 79.5.
    evaluate_pairing(client, "热电厂党支部", "79.5")

    done = consolidate(client, campaign)
    # 90×40% + 95×30% + 79.5×30% = 88.35: one answer, with where each input came from.
    row = done.row("热电厂党支部")
    assert "88.35 / 100 达标牌" in row
    assert "互查评分取自互查评分表 95" in row and "帮扶成效评分取自结对帮扶成效评估 79.5" in row
    assert "需重新汇总" not in done

    row = board(client).row("热电厂党支部")
    assert "90 考评表（人工录入） 95 互查评分表 79.5 结对帮扶成效评估 88.35 达标牌" in row
    assert set(every_view(client, campaign, "热电厂党支部").values()) == {("88.35", "达标牌")}
    assert set(every_view(client, campaign, "化工分厂党支部").values()) == {("90", "示范牌")}

    # A late evaluation: 化工分厂's 帮扶成效 arrives after 汇总. Nothing shows another 牌.
    evaluate_pairing(client, "化工分厂党支部", "55")
    assert set(every_view(client, campaign, "化工分厂党支部").values()) == {("90", "示范牌")}
    assert "需重新汇总" in board(client).row("化工分厂党支部")

    # Consolidating again picks it up: 90×40% + 90×30% + 55×30% = 79.5, everywhere.
    done = consolidate(client, campaign)
    assert "79.5 / 100 达标牌" in done.row("化工分厂党支部") and "需重新汇总" not in done
    assert set(every_view(client, campaign, "化工分厂党支部").values()) == {("79.5", "达标牌")}
    assert "需重新汇总" not in board(client)


def test_late_inspection_marks_the_result_stale_until_consolidated_again(client):
    # An evaluation before any campaign: the board shows the input, and no 牌.
    evaluate_pairing(client, "热电厂党支部", "85")
    row = board(client).row("热电厂党支部")
    assert "85 结对帮扶成效评估" in row and "尚未汇总" in row
    assert not re.search("示范牌|达标牌|争先牌", row)

    shown: dict = {}
    campaign = hand_entered_quarter(client, {"热电厂党支部": (90, 60, 90)}, shown)
    # The hand-entered 帮扶成效 sheet of 热电厂 says the evaluation stands in for it.
    notice = "本季度帮扶成效评分已有结对帮扶成效评估（85 分）：汇总亮牌时以其为准，本表分数不计入"
    assert notice in shown["帮扶成效评分", "热电厂党支部"]
    assert "本表分数不计入" not in shown["帮扶成效评分", "化工分厂党支部"]
    assert "本表分数不计入" not in shown["互查评分", "热电厂党支部"]
    # Signed, not consolidated yet: still no 牌 on the board, and the results page says
    # the inputs are ready.
    row = board(client).row("热电厂党支部")
    assert "90 考评表（人工录入） 60 考评表（人工录入） 85 结对帮扶成效评估" in row
    assert "尚未汇总" in row and not re.search("示范牌|达标牌|争先牌", row)
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    assert "5 个对象的分项评分已齐，尚未汇总" in results

    # 90×40% + 60×30% + 85×30% = 79.5 达标牌.
    done = consolidate(client, campaign)
    assert "79.5 / 100 达标牌" in done.row("热电厂党支部")
    assert "79.5 达标牌" in board(client).row("热电厂党支部")

    # A late 互查 (95) would make it 90 示范牌: until 汇总 every page keeps 79.5 达标牌
    # and says it needs 重新汇总.
    assert "95 分" in inspect_today(client, "热电厂党支部", {"5.3": ("0", "党员积分未公示")})
    row = board(client).row("热电厂党支部")
    assert "79.5 达标牌" in row and "需重新汇总" in row and "示范牌" not in row
    assert "60 考评表（人工录入） 现为 95（互查评分表），待重新汇总" in row
    login(client, "dq01")
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    assert "1 个对象的分项评分在上次汇总后有变化" in results
    row = results.row("热电厂党支部")
    assert "79.5 / 100 达标牌" in row and "需重新汇总" in row
    assert "需重新汇总" not in results.row("化工分厂党支部")
    # The leader reads the same 牌 and the same notice.
    login(client, "ld01")
    row = open_page(client, f"/mechanisms/board/?year={TODAY.year}&quarter={QUARTER}").row(
        "热电厂党支部"
    )
    assert "79.5 达标牌" in row and "需重新汇总" in row

    done = consolidate(client, campaign)
    row = done.row("热电厂党支部")
    assert "90 / 100 示范牌" in row and "互查评分取自互查评分表 95" in row
    assert "需重新汇总" not in done
    row = board(client).row("热电厂党支部")
    assert "90 考评表（人工录入） 95 互查评分表 85 结对帮扶成效评估 90 示范牌" in row
    assert "需重新汇总" not in row
