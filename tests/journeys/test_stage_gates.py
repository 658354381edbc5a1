"""Gates that hold. A sheet is not submitted before its stage opens (the page
says when); a 全面考评 waits for the branch's own self-assessment (000: 在全面自评的基础上);
an inspection is not submitted before its date; a deadline moved past the next stage's
start asks first. Pages only, from the demo."""

from datetime import date, timedelta

from branches.toolkit.periods import month_end, quarter_of

from .pages import create_campaign, fill_sheet, login, my_sheets, open_page, submit

TODAY = date.today()
# The plan: 自查自评 to the end of the start's month (000: "2月"), 全面考评 15 days.
FULL_ENDS = month_end(TODAY.year, TODAY.month) + timedelta(days=15)
NAME = "2026年度党支部考评（阶段控制）"


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _campaign(client):
    """dq01 plans a 涪陵 campaign on the 西宁 five stages, starting today, over the
    branches; the 全面考评 is moved to open today too (alongside the self-assessment)."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name=NAME,
        version="涪陵",
        scope="JT",
        template="西宁",
        year="2026",
        kinds=["党支部"],
        start=TODAY.isoformat(),
    )
    edit = open_page(client, detail.links_to(r"/stages/\d+/edit/$")[1][0])
    assert "全面考评" in edit
    saved = submit(client, edit.form(button="保存"), {"opens_on": TODAY.isoformat()}, page=edit)
    assert "已保存阶段" in saved
    opened = submit(client, saved.form(action="/open/"))
    assert "考评活动已开始" in opened
    assign = open_page(client, opened.link("分配考评员"))
    form = assign.form(button="分配")
    assert "已分配" in submit(client, form, {"people": [assign.option(form, "people", "kp01")]})
    return opened.url


def _my_sheet(client, stage: str, org: str) -> str:
    """The URL of my sheet of ``org`` at ``stage`` in this test's campaign."""
    for url, name in my_sheets(client, stage):
        if name == org and NAME in open_page(client, url).text:
            return url
    raise AssertionError(f"no {stage} sheet of {org}")


def test_a_review_waits_for_its_stage_and_for_the_self_assessment(client):
    campaign = _campaign(client)
    detail = open_page(client, campaign)
    cross_opens = FULL_ENDS + timedelta(days=1)
    assert f"{cross_opens.isoformat()} 至" in detail.row("交叉互评")

    # 全面考评 is open, but 炼钢一作业区's own self-assessment is still being filled.
    login(client, "kp01")
    full = _my_sheet(client, "全面考评", "炼钢一作业区党支部")
    page = open_page(client, full)
    assert "炼钢一作业区党支部的自查自评尚未提交" in page
    refused = submit(client, page.form(action="/submit/"), {})
    assert "暂不能提交" in refused and "在自查自评的基础上进行" in refused
    assert 'id="sheet-state">草稿</span>' in open_page(client, full).html

    # The secretary submits her self-assessment; then the review goes through.
    login(client, "sj01")
    fill_sheet(client, _my_sheet(client, "自查自评", "炼钢一作业区党支部"))
    login(client, "kp01")
    assert "已提交" in fill_sheet(client, full)

    # 交叉互评 is drawn now but opens later: its sheets can be filled, not submitted.
    login(client, "dq01")
    drawn = submit(
        client,
        open_page(client, open_page(client, campaign).link("抽样并分配互评")).form(button="抽样"),
    )
    assert "结果与记录一致" in drawn
    for reviewer in ("kp02", "kp03", "kp04"):
        login(client, reviewer)
        [(url, _), *_] = [s for s in my_sheets(client, "交叉互评")]
        page = open_page(client, url)
        says = f"“交叉互评”阶段 {_day(cross_opens)} 开始，届时方可提交"
        assert says in page
        assert 'id="submit-sheet" disabled' in page.html
        refused = submit(client, page.form(action="/submit/"), {})
        assert "暂不能提交" in refused and says in refused
        assert "已提交" not in refused.text.split("暂不能提交")[0][-60:]


def test_a_deadline_past_the_next_stage_asks_first(client):
    campaign = _campaign(client)
    login(client, "dq01")
    detail = open_page(client, campaign)
    full_row = detail.row("全面考评")
    deadline = FULL_ENDS  # planned: the day before 交叉互评 opens
    assert f"至 {deadline.isoformat()}" in full_row
    form = next(
        f
        for f in detail.forms
        if f.action.endswith("/deadline/") and f.fields.get("deadline") == deadline.isoformat()
    )
    # Within its own window: saved at once.
    earlier = (deadline - timedelta(days=2)).isoformat()
    saved = submit(client, form, {"deadline": earlier})
    assert f"“全面考评”截止日期已改为 {earlier}" in saved
    # Past 交叉互评's start: a confirmation page, nothing saved yet.
    later = (deadline + timedelta(days=10)).isoformat()
    confirm = submit(client, form, {"deadline": later})
    assert "确认修改截止日期：全面考评" in confirm
    assert "晚于下一阶段“交叉互评”的开始日期" in confirm
    assert f"至 {earlier}" in open_page(client, campaign).row("全面考评")
    done = submit(client, confirm.form(button="确认修改"))
    assert f"“全面考评”截止日期已改为 {later}" in done
    assert f"至 {later}" in done.row("全面考评")


def test_an_inspection_waits_for_its_date(client):
    login(client, "dq01")
    new = open_page(client, "/mechanisms/inspections/new/")
    form = new.form(button="安排")
    on = TODAY + timedelta(days=5)
    scheduled = submit(
        client,
        form,
        {
            "organization": new.option(form, "organization", "销售公司党支部"),
            "year": TODAY.year,
            "quarter": quarter_of(TODAY)[1],
            "scheduled_on": on.isoformat(),
            "inspectors": [new.option(form, "inspectors", "喻林（一号煤矿党支部")],
        },
    )
    assert "已安排" in scheduled

    login(client, "hc01")
    listing = open_page(client, open_page(client, "/mechanisms/").link("互查互学互促"))
    page = open_page(client, listing.link("销售公司党支部"))
    says = f"本次互查定于 {_day(on)} 进行，届时到现场检查后方可提交互查评分表"
    assert says in page
    form = page.form(action="/submit/")
    data = {"step_report": "汇报", "step_documents": "资料", "step_site": "现场"}
    data |= {"step_members": "走访", "strengths": "好", "problems": "无"}
    data |= {"suggestions": "保持", "deadline": on.isoformat()}
    for name in form.fields:
        if name.startswith("s_"):
            label = page.labels.get(f"id_{name}", "")
            data[name] = label.split("（")[-1].split(" 分")[0]
    refused = submit(client, form, data)
    assert says in refused and "已提交互查评分表" not in refused
