"""The quarterly 亮牌 board: 星级党支部考核 40% + 互查 30% + 帮扶成效 30% per
branch, the 互查 and 帮扶成效 taken from the inspection and the pairing score when they exist
and from the hand-entered sheets of the quarter's 亮牌 campaign otherwise; bands and
consequences from the 亮牌 rubric. The board shows the campaign's consolidated result
(nothing before 汇总). Pages only, from the demo."""

from .pages import (
    download,
    login,
    open_page,
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


def inspect_with_full_marks_but(client, deductions: dict[str, tuple[str, str]]) -> str:
    """hc01 fills the demo inspection of 热电厂党支部; returns the page's text."""
    login(client, "hc01")
    listing = open_page(client, "/mechanisms/inspections/")
    return fill_inspection(client, open_page(client, listing.link("热电厂党支部")), deductions)


def test_board_combines_features_and_hand_entered_scores(client):
    campaign = hand_entered_quarter(
        client,
        {
            "热电厂党支部": (90, 40, 40),  # 互查 and 帮扶成效 will come from the features
            "化工分厂党支部": (60, 60, 90),
            "一号煤矿党支部": (80, 80, 80),
        },
    )
    assert "95 分" in inspect_with_full_marks_but(client, {"5.3": ("0", "党员积分未公示")})
    evaluate_pairing(client, "热电厂党支部", "85")
    evaluate_pairing(client, "化工分厂党支部", "55")

    login(client, "dq01")
    board = open_page(client, open_page(client, "/mechanisms/").link("季度亮牌看板"))
    assert f"{TODAY.year}年第{QUARTER}季度“亮牌”看板" in board
    # Signed but not consolidated: the inputs, no 牌 of the board's own.
    assert "95 互查评分表 85 结对帮扶成效评估 — 尚未汇总" in board.row("热电厂党支部")
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    submit(client, results.form(button="汇总考评结果"))
    board = open_page(client, open_page(client, "/mechanisms/").link("季度亮牌看板"))
    # 90×40% + 95×30% + 85×30% = 90: 示范牌, the two features named as the sources.
    row = board.row("热电厂党支部")
    assert "90 考评表（人工录入） 95 互查评分表 85 结对帮扶成效评估 90 示范牌" in row
    # 60×40% + 60×30% + 55×30% = 58.5: 争先牌 and what follows from it.
    row = board.row("化工分厂党支部")
    assert "55 结对帮扶成效评估 58.5 争先牌" in row
    assert "取消当季度所有评优资格，支部书记向党委作书面检讨" in row
    # No feature for 一号煤矿: every instrument as entered by hand.
    assert (
        "80 考评表（人工录入） 80 考评表（人工录入） 80 考评表（人工录入） 80 达标牌"
        in board.row("一号煤矿党支部")
    )

    rows = xlsx_rows(download(client, board.link("导出 Excel")))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["热电厂党支部"][1:6] == (90, 95, 85, 90, "示范牌")
    assert by_name["化工分厂党支部"][4:6] == (58.5, "争先牌")

    # The secretary of 化工分厂 sees their own plate, not the whole company's.
    login(client, "sj22")
    own = open_page(client, "/mechanisms/board/")
    assert "58.5" in own.row("化工分厂党支部") and "热电厂党支部" not in own
