"""Stage plans dated as the documents date them: a month named by the document ends on
that month's last day. Pages only, from the demo."""

from .pages import create_campaign, login

XINING_STAGES = {
    "自查自评": ("2027-02-01", "2027-02-28"),
    "全面考评": ("2027-03-01", "2027-03-15"),
    "交叉互评": ("2027-03-16", "2027-04-30"),
    "抽查点评": ("2027-05-01", "2027-05-31"),
    "巩固提升": ("2027-06-01", "2027-12-31"),
}


def test_xining_plan_ends_cross_review_by_the_end_of_april_spot_checks_by_the_end_of_may(
    client,
):
    """000: 交叉互评“4月底前”, 抽查点评“5月底前”, 巩固提升“6月至12月”: a 西宁 plan
    starting on 2月1日 ends them on 04-30, 05-31 and 12-31 (not 04-29, 05-29, 11-25)."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name="2027年度以评促建（文件日期）",
        version="涪陵",
        scope="JT",
        template="西宁",
        year="2027",
        start="2027-02-01",
    )
    for stage, (opens, ends) in XINING_STAGES.items():
        assert f"{opens} 至 {ends}" in detail.row(stage), stage
    assert "交叉互评（4月底前）" in detail.row("交叉互评")
    assert "“3月初”无确切日期，系统按15天计" in detail.row("全面考评")
    assert "截止日期为该月最后一天" in detail


STANDARD_PHASES = {
    # phase: (dates, who scores, what the document says of it)
    "组织发动": ("2023-06-01 至 2023-07-31", "不打分", "组织发动阶段（6月至7月）"),
    "对标自查": ("2023-08-01 至 2023-08-31", "党支部自评", "对标自查阶段（8月底前）"),
    "争创达标": ("2023-09-01 至 2023-12-31", "党群部考评员", "争创达标阶段（12月底前）"),
    "总结验收": ("2024-01-01 至 2024-01-31", "党群部考评员", "总结验收阶段（次年1月底前）"),
    "巩固提升": ("2024-02-01 至 2024-12-31", "不打分", "巩固提升阶段（长期坚持）"),
}


def test_standardization_plan_has_the_five_phases_of_003(client):
    """003 五、推进步骤: 组织发动阶段（6月至7月）, 对标自查阶段（8月底前）, 争创达标阶段
    （12月底前）, 总结验收阶段（2024年1月底前）, 巩固提升阶段（长期坚持）: a plan of
    its own, chosen when the campaign is created; the self-check goes to the branches,
    the company's checks and acceptance to the department, the first and last phases
    score nothing; 长期坚持 has no date in the document and the page says so."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name="2023年党支部标准化建设",
        version="党支部建设标准化十项目标",
        scope="JT",
        template="实施方案五阶段（003）",
        year="2023",
        start="2023-06-01",
    )
    rows = [detail.row(phase, "依据") for phase in STANDARD_PHASES]
    for row, (dates, assessed_by, says) in zip(rows, STANDARD_PHASES.values(), strict=True):
        assert dates in row and assessed_by in row and says in row, row
    assert "文件未定截止日期，系统暂定至次年12月底，可改期" in rows[-1]
    assert "一个支部一个支部考，一个标准一个标准过" in rows[3]
