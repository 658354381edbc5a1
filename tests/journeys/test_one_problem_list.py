"""一支部一清单: one problem list per branch. A campaign's shortfalls found at any
review stage, an inspection's problems, a pairing's weaknesses and problems entered by hand
are lines of the same list, each naming where it came from (a filter), marked overdue by one
rule, closed (销号) and followed up (回头看) through one flow, and exported together. Pages
only, from the demo."""

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

from tests.conftest import xining_start

from .pages import (
    create_campaign,
    download,
    login,
    open_page,
    row_link,
    sign_submitted,
    submit,
    xlsx_rows,
)
from .problem_flow import ask_to_close, close, follow_up

TODAY = date.today()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
STEPS = {
    "step_report": "听取书记汇报",
    "step_documents": "查阅“三会一课”记录",
    "step_site": "查看党员活动室",
    "step_members": "走访党员 3 人",
}


def fill_with_notes(client, url: str, *, short=None, notes=None, vetoes=None) -> None:
    """A reviewer's sheet: full points less ``short``, with a 扣分说明 per item in
    ``notes`` and ``vetoes`` ticked with their facts; submitted."""
    page = open_page(client, url)
    form = page.form(action="/submit/")
    data = {}
    for name in [n for n in form.fields if n.startswith("v_")]:
        code = name[2:]
        top = Decimal(form.placeholders[name].split("–")[1])
        data[name] = str(top - Decimal((short or {}).get(code, "0")))
    for code, note in (notes or {}).items():
        data[f"n_{code}"] = note
    for code, facts in (vetoes or {}).items():
        data[f"veto_{code}"], data[f"facts_{code}"] = "on", facts
    assert "已提交" in submit(client, form, data)


def my_sheets(client, stage: str) -> list[tuple[str, str]]:
    home = open_page(client, "/")
    return [
        (url, label.split(" · ")[0])
        for url, label in home.links_to(r"^/sheets/\d+/$")
        if label.endswith(f"· {stage}")
    ]


def stage_edit_link(page, stage: str) -> str:
    for row in re.findall(r"<tr\b.*?</tr>", page.html, re.S):
        found = re.search(r'href="(/stages/\d+/edit/)"', row)
        if found and stage in unescape(re.sub(r"<[^>]+>", " ", row)):
            return found.group(1)
    raise AssertionError(f"no edit link for {stage}")


def run_xining_to_cross_review(client) -> str:
    """The department publishes the Xining rubric, runs 自查自评, 全面考评 (炼钢一作业区: C01
    and C02 short with the reviewer's notes, veto V3) and a 交叉互评 that draws every branch
    and scores 炼钢一作业区 100, then consolidates. Returns the results page URL."""
    login(client, "dq01")
    rubrics = open_page(client, "/rubrics/")
    version = open_page(client, rubrics.link("第 1 版", href="xining"))
    published = submit(client, version.form(action="/publish/"), {"confirm": "on"})
    slots = open_page(client, published.link("填写个性指标"))
    for url, name in slots.links_to(r"\?enterprise=\d+$"):
        page = open_page(client, slots.url + url)
        form = page.form(button="保存")
        texts = {f: f"{name}个性指标" for f in form.fields if f.startswith("slot_")}
        assert "已保存" in submit(client, form, texts, page=page)
    detail = create_campaign(
        client,
        name="2026年度西宁一支部一清单",
        version="以评促建",
        scope="JT",
        template="西宁",
        year="2026",
        # Planned three months back, as in test_xining: every stage is open today (a
        # sheet cannot be submitted before its stage opens).
        start=xining_start(TODAY).isoformat(),
    )
    campaign = detail.url
    # Every branch is drawn for cross-review (a ratio of 100%).
    edit = open_page(client, stage_edit_link(detail, "交叉互评"))
    edited = submit(client, edit.form(button="保存"), {"ratio": "1"})
    assert "100%" in edited.row("交叉互评"), edited.text[:500]
    opened = submit(client, open_page(client, campaign).form(action="/open/"))
    assert "考评活动已开始" in opened
    progress = opened.link("进度")

    login(client, "sj01")
    [(url, _)] = my_sheets(client, "自查自评")
    fill_with_notes(client, url)

    login(client, "dq01")
    assign = open_page(client, open_page(client, campaign).link("分配考评员"))
    form = assign.form(button="分配")
    submit(client, form, {"people": [assign.option(form, "people", "kp01")]})
    login(client, "kp01")
    for url, name in my_sheets(client, "全面考评"):
        if name == "炼钢一作业区党支部":
            fill_with_notes(
                client,
                url,
                short={"C01": "1.5", "C02": "1"},
                notes={"C01": "支委会记录缺两次，未按月召开", "C02": "党员发展计划未报批"},
                vetoes={"V3": "全年未开展组织生活"},
            )
        else:
            fill_with_notes(client, url)
    login(client, "dq01")
    sign_submitted(client, progress)

    draw = open_page(client, open_page(client, campaign).link("抽样并分配互评"))
    assert "结果与记录一致" in submit(client, draw.form(button="抽样"))
    cross = []
    for reviewer in ("kp02", "kp03", "kp04"):
        login(client, reviewer)
        for url, name in my_sheets(client, "交叉互评"):
            fill_with_notes(client, url)  # 100: no shortfall found at this stage
            cross.append(name)
    assert "炼钢一作业区党支部" in cross
    login(client, "dq01")
    sign_submitted(client, progress)
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    ledger = submit(client, results.form(button="汇总考评结果"))
    assert "已汇总" in ledger
    # The cross-review sheet (100) is the result; the veto found at 全面考评 stands.
    row = ledger.row("炼钢一作业区党支部")
    assert "100 / 100 不达标" in row
    return ledger.url


def test_shortfalls_of_every_stage_stay_listed_with_the_reviewers_note(client):
    results = run_xining_to_cross_review(client)
    listed = open_page(client, results).link("整改清单", href="campaign=")
    items = open_page(client, listed)
    # One line per item, naming the stage that found it, in the reviewer's words.
    c01 = items.row("炼钢一作业区党支部", "C01")
    assert "全面考评" in c01 and "交叉互评" not in c01
    assert "支委会记录缺两次，未按月召开" in c01 and "得分" not in c01
    assert "党员发展计划未报批" in items.row("炼钢一作业区党支部", "C02")
    v3 = items.row("炼钢一作业区党支部", "否决项 V3")
    assert "全面考评" in v3 and "全年未开展组织生活" in v3  # the facts the reviewer recorded
    assert len(re.findall(r"炼钢一作业区党支部", items.text)) == 3
    # The source filter: what 全面考评 found, and what 交叉互评 found (nothing here).
    full = open_page(client, listed + "&source=stage-full")
    assert "支委会记录缺两次" in full
    cross = open_page(client, listed + "&source=stage-cross")
    assert "支委会记录缺两次" not in cross and "没有整改事项" in cross

    # 销号 and 回头看 of a 全面考评 shortfall: the branch asks, the reviewer who found it closes.
    item = row_link(items, "炼钢一作业区党支部", "C01")
    login(client, "sj01")
    ask_to_close(client, item, measure="补开支委会并整理记录", responsible="王书记")
    login(client, "kp01")
    close(client, item, "记录已补齐")
    done = follow_up(client, item, note="回访：支委会按月召开", on=TODAY.isoformat())
    assert "回访：支委会按月召开" in done


def inspect_heat_plant(client) -> str:
    """hc01 fills the demo's 互查 of 热电厂党支部, marking one problem with a deadline that
    has passed; returns the inspection page URL."""
    login(client, "hc01")
    listing = open_page(client, open_page(client, "/mechanisms/").link("互查互学互促"))
    page = open_page(client, listing.link("热电厂党支部"))
    form = page.form(action="/submit/")
    scores = {}
    for name in form.fields:
        if name.startswith("s_"):
            label = page.labels.get(f"id_{name}", "")
            scores[name] = label.split("（")[-1].split(" 分")[0]
    scores["s_3.1"] = "5"
    done = submit(
        client,
        form,
        {
            **STEPS,
            **scores,
            "strengths": "阵地齐全",
            "problems": "会议记录不完整",
            "suggestions": "补齐会议记录",
            "highlights": "",
            "deadline": YESTERDAY,
            "p_3.1": "会议记录不完整",
        },
    )
    assert "1 个问题已列入支部问题清单" in done, done.text[:400]
    return done.url


def test_every_source_in_one_list_one_overdue_rule_one_flow_one_export(client):
    inspection = inspect_heat_plant(client)

    # The branch's secretary opens its one list from the inspection and enters a problem
    # by hand on the branch's ledger the list links to.
    login(client, "sj21")
    listed = open_page(client, inspection).link("支部问题清单")
    items = open_page(client, listed)
    ledger = open_page(client, items.link("问题台账"))
    form = ledger.form(action="/ledger/add/")
    added = submit(
        client,
        form,
        {
            "source": ledger.option(form, "source", "自查"),
            "problem": "党费收缴台账未按月核对",
            "responsible": "热电厂支部组织委员",
            "deadline": YESTERDAY,
        },
    )
    assert "已登记问题" in added

    items = open_page(client, listed)
    inspected = items.row("会议记录不完整")
    by_hand = items.row("党费收缴台账未按月核对")
    assert "互查" in inspected and "自查" in by_hand
    # One overdue rule, one mark.
    assert "逾期" in inspected and "逾期" in by_hand
    overdue = open_page(client, listed + "&status=overdue")
    assert "会议记录不完整" in overdue and "党费收缴台账未按月核对" in overdue
    # The source filter.
    only = open_page(client, listed + "&source=inspection")
    assert "会议记录不完整" in only and "党费收缴台账未按月核对" not in only
    only = open_page(client, listed + "&source=self_check")
    assert "党费收缴台账未按月核对" in only and "会议记录不完整" not in only

    # 销号 and 回头看 of the inspection's problem: by the inspector who found it.
    problem = row_link(items, "会议记录不完整")
    by_hand_url = row_link(items, "党费收缴台账未按月核对")
    ask_to_close(client, problem, measure="补齐会议记录", responsible="热电厂书记")
    ask_to_close(client, by_hand_url, measure="按月核对党费台账", responsible="组织委员")
    login(client, "hc01")
    home = open_page(client, "/")  # the inspector finds it among the items to verify
    assert "待核实销号" in home and "热电厂党支部 · 3.1" in home
    close(client, problem, "已核实")
    assert "已回头看" in open_page(client, inspection)  # its only problem is closed
    assert "已核实补齐" in follow_up(client, problem, note="已核实补齐", on=TODAY.isoformat())
    # The hand-entered one: the department over the branch.
    login(client, "dq01")
    close(client, by_hand_url)
    assert "复查无误" in follow_up(client, by_hand_url, note="复查无误", on=TODAY.isoformat())

    # A pairing's weakness (the demo's 刘强 helps 化工分厂): the secretary asks, the helper
    # closes and follows up.
    login(client, "sj22")
    mine = open_page(client, "/rectifications/?source=pairing")
    weakness = row_link(mine, "化工分厂党支部", "三会一课")
    assert "结对帮扶" in mine.row("化工分厂党支部", "三会一课")
    ask_to_close(client, weakness, measure="重建三会一课台账", responsible="化工分厂书记")
    login(client, "bf02")
    close(client, weakness, "台账已重建")
    assert "保持良好" in follow_up(client, weakness, note="保持良好", on=TODAY.isoformat())

    # The old 问题清单 page is the one list, filtered to the branch.
    login(client, "dq01")
    org = re.search(r"org=(\d+)", listed).group(1)
    response = client.get(f"/mechanisms/branches/{org}/items/")
    assert response.status_code == 302 and response.url.endswith(f"/rectifications/?org={org}")

    # One export: every source, each named.
    rows = xlsx_rows(download(client, "/rectifications/?format=xlsx"))
    header, rows = rows[0], rows[1:]
    source = header.index("来源")
    problem_col = header.index("问题")
    assert any("会议记录不完整" in (r[problem_col] or "") for r in rows)
    sources = {r[source] for r in rows}
    assert {"互查", "自查", "结对帮扶"} <= sources
    assert any("实地考核评分" in s for s in sources)  # the demo's finished campaign's stage
    hand = next(r for r in rows if r[problem_col] == "党费收缴台账未按月核对")
    assert hand[header.index("状态")] == "已销号" and hand[header.index("考评活动")] is None
