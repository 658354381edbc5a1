"""西北能化 2025 (001) 互查互学互促: two inspectors from other branches fill the
互查评分表 of 热电厂党支部 following 听汇报 → 查资料 → 看现场 → 访党员; the problems they
mark land on the branch's one problem list; the branch asks for 销号 and the inspectors
verify them at 回头看; the department compiles the 标准化经验手册. Pages only, from the demo."""

from datetime import date

from branches.toolkit.periods import quarter_of

from .pages import download, login, open_page, pdf_text, row_link, submit, xlsx_rows
from .problem_flow import ask_to_close, close

TODAY = date.today()
STEPS = {
    "step_report": "听取书记汇报支部标准化建设情况",
    "step_documents": "查阅“三会一课”记录、党费台账",
    "step_site": "查看党员活动室和党建宣传栏",
    "step_members": "走访党员 5 人",
}
FEEDBACK = {
    "strengths": "党员活动室“六有”齐全",
    "problems": "会议记录不完整；党员积分未公示",
    "suggestions": "补齐会议记录，按月公示积分",
    "highlights": "“运行值班 + 党员示范岗”工作法",
    "deadline": TODAY.isoformat(),
}


def inspection_page(client):
    listing = open_page(client, open_page(client, "/mechanisms/").link("互查互学互促"))
    return open_page(client, listing.link("热电厂党支部"))


def test_inspectors_score_problems_land_on_the_list_and_are_verified(client):
    # The department cannot send a branch's own member to inspect it.
    login(client, "dq01")
    new = open_page(client, "/mechanisms/inspections/new/")
    form = new.form(button="安排")
    own = submit(
        client,
        form,
        {
            "organization": new.option(form, "organization", "一号煤矿党支部"),
            "year": TODAY.year,
            "quarter": quarter_of(TODAY)[1],
            "scheduled_on": TODAY.isoformat(),
            "inspectors": [new.option(form, "inspectors", "喻林（一号煤矿党支部")],
        },
    )
    assert "互查人员不能来自被检查的党支部本身" in own

    # hc01 (一号煤矿) finds the assignment and fills the form on site.
    login(client, "hc01")
    page = inspection_page(client)
    assert "喻林（一号煤矿党支部）、章凯（化工分厂党支部）" in page
    form = page.form(action="/submit/")
    scores = {}
    for name in form.fields:
        if name.startswith("s_"):
            label = page.labels.get(f"id_{name}", "")
            scores[name] = label.split("（")[-1].split(" 分")[0]
    assert len(scores) == 13
    scores["s_3.1"] = "5"  # 8 → 5
    scores["s_5.3"] = "3"  # 5 → 3
    unmarked = submit(client, form, {**STEPS, **scores, **FEEDBACK, "p_3.1": "会议记录不完整"})
    assert "扣分的项目须标注问题点：5.3" in unmarked
    assert unmarked.form(action="/submit/").fields["p_3.1"] == "会议记录不完整"
    missing_step = submit(
        client,
        form,
        {**STEPS, "step_site": "", **scores, **FEEDBACK, "p_3.1": "x", "p_5.3": "y"},
    )
    assert "互查评分表填写有误" in missing_step and "看现场" in missing_step
    # What was typed comes back: the 13 scores and the marked problems are not retyped.
    kept = missing_step.form(action="/submit/")
    assert {n: kept.fields[n] for n in scores} == scores
    assert kept.fields["p_3.1"] == "x" and kept.fields["p_5.3"] == "y"
    done = submit(
        client,
        form,
        {
            **STEPS,
            **scores,
            **FEEDBACK,
            "p_3.1": "会议记录不完整",
            "p_5.3": "党员积分未公示",
        },
    )
    assert "已提交互查评分表：95 分，2 个问题已列入支部问题清单" in done
    assert "已提交评分表" in done and "走访党员 5 人" in done
    assert "会议记录不完整" in done.row("3.1", "8")

    # The branch sees the problems on its one list and asks for 销号 on each.
    login(client, "sj21")
    items = open_page(client, open_page(client, done.url).link("支部问题清单"))
    assert "整改中" in items.row("会议记录不完整") and "整改中" in items.row("党员积分未公示")
    urls = {p: row_link(items, p) for p in ("会议记录不完整", "党员积分未公示")}
    for url in urls.values():
        ask_to_close(client, url, measure="已整改", responsible="张书记")

    # 回头看: the second inspector verifies both; the inspection is followed up.
    # One from the inspection's page, one from the branch's list it links to.
    login(client, "hc02")
    page = open_page(client, done.url)
    close(client, row_link(page, "会议记录不完整", "整改与销号"), "已核实")
    items = open_page(client, page.link("支部问题清单"))
    assert "已销号" in items.row("会议记录不完整") and "待销号" in items.row("党员积分未公示")
    close(client, row_link(items, "党员积分未公示"), "已核实")
    items = open_page(client, items.url)
    assert "已销号" in items.row("党员积分未公示")
    page = open_page(client, done.url)
    assert "已回头看" in page

    # Not the assignment of another branch's secretary.
    login(client, "sj02")
    assert client.get(done.url).status_code == 404

    # The department compiles the quarter's 经验手册 and exports the list.
    login(client, "dq01")
    listing = open_page(client, "/mechanisms/inspections/")
    text = pdf_text(download(client, listing.link("标准化经验手册")))
    assert "党支部标准化经验手册" in text and "“运行值班+党员示范岗”工作法" in text.replace(" ", "")
    rows = xlsx_rows(download(client, listing.link("导出 Excel")))
    assert any(r[2] == "热电厂党支部" and r[6] == 95 for r in rows)
