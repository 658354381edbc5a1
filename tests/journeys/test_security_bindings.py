"""An inspector's rights belong to the person assigned, not to whatever login their roster
entry points to today. 喻林 (hc01, a member of 一号煤矿党支部) is assigned to inspect
热电厂党支部; 一号煤矿's secretary sj02 must not become that inspector by relinking 喻林's
roster entry to its own login, and nobody may relink 喻林 while the inspection is open.
Pages only, from the demo."""

import re

from tests.conftest import xlsx_bytes

from .pages import login, open_page, row_link, submit, upload
from .problem_flow import ask_to_close, close

BRANCH = "一号煤矿党支部"


def inspection_url(client) -> str:
    login(client, "hc01")
    listing = open_page(client, open_page(client, "/mechanisms/").link("互查互学互促"))
    return open_page(client, listing.link("热电厂党支部")).url


def roster(client):
    detail = open_page(client, open_page(client, "/orgs/").link(BRANCH))
    return open_page(client, detail.link("党员名册"))


def test_a_secretary_cannot_take_over_an_inspector_by_relinking_the_roster(client):
    url = inspection_url(client)

    login(client, "sj02")
    assert client.get(url).status_code == 404  # not theirs to see
    members = roster(client)
    assert "hc01" in members.row("喻林")
    edit = open_page(client, row_link(members, "喻林"))
    # The attack: 系统账号（工号） set to the secretary's own login.
    saved = submit(client, edit.form(button="保存"), {"username": "sj02"})
    assert "已保存“喻林”" in saved
    # sj02 still has no way into 热电厂's 互查, neither to read it nor to submit its form.
    assert client.get(url).status_code == 404
    assert client.post(url + "submit/", {"s_1.1": "8"}).status_code == 404
    assert "hc01" in saved.row("喻林")
    # The login is shown on the form but the branch cannot change it.
    edit = open_page(client, row_link(saved, "喻林"))
    field = re.search(r'<input[^>]*name="username"[^>]*>', edit.html).group(0)
    assert "disabled" in field and 'value="hc01"' in field
    assert "系统账号的关联由党群部或系统管理员办理" in edit

    # The import is held to the same rule.
    importing = open_page(client, members.link("导入 Excel"))
    headers = ["姓名", "党员类别", "党小组", "入党日期", "手机", "工号"]
    sheet = xlsx_bytes(headers, [["喻林", "正式党员", "", "", "", "sj02"]])
    preview = upload(client, importing.form(button="上传并预览"), sheet, "名册.xlsx")
    assert "错误 1" in preview and "确认导入" not in preview
    assert preview.row("只能由党群部或系统管理员关联或修改").split()[:2] == ["2", "错误"]

    # hc01 is still the inspector.
    login(client, "hc01")
    assert "喻林（一号煤矿党支部）" in open_page(client, url)


def test_the_department_cannot_relink_a_member_with_an_open_inspection(client):
    url = inspection_url(client)
    login(client, "dq01")
    members = roster(client)
    edit = open_page(client, row_link(members, "喻林"))
    refused = submit(client, edit.form(button="保存"), {"username": "sj02", "phone": "13800000001"})
    assert "互查结束（回头看完成）前不能修改其系统账号（工号）" in refused
    # The form keeps what was typed.
    assert 'value="sj02"' in refused.html and 'value="13800000001"' in refused.html
    assert "hc01" in roster(client).row("喻林")

    login(client, "sj02")
    assert client.get(url).status_code == 404


def test_history_scores_are_read_only_by_those_who_read_results(client):
    # The branch's secretary reads its 历年考评 with grades.
    login(client, "sj02")
    home = open_page(client, "/")
    history = open_page(client, home.link("历年考评结果"))
    grade = re.search(r"<strong>([^<]+)</strong>", history.html.split('id="history"')[1])
    assert grade, history.text[:500]
    grade = grade.group(1)
    detail = open_page(client, home.link(BRANCH, href="/orgs/"))
    assert "历年考评" in detail, (detail.url, grade, history.url)

    # The 系统管理员 sees the organization (accounts are its work) but not its results.
    login(client, "xt01")
    detail = open_page(client, detail.url)
    assert BRANCH in detail and "历年考评" not in detail
    response = client.get(history.url)
    assert response.status_code == 403 and grade not in response.content.decode()
    # Nor does a reviewer, as such.
    login(client, "kp01")
    assert client.get(history.url).status_code == 403
    # The department and leaders do.
    for who in ("dq01", "ld01"):
        login(client, who)
        assert grade in open_page(client, history.url)


def test_after_the_follow_up_a_relink_moves_no_inspector_rights(client):
    """Once 回头看 is done the department may relink 喻林's roster entry; the finished
    inspection stays with hc01, the login assigned, and the new login gets nothing."""
    url = inspection_url(client)  # logged in as hc01
    page = open_page(client, url)
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
            "step_report": "听取汇报",
            "step_documents": "查阅台账",
            "step_site": "查看现场",
            "step_members": "走访党员",
            "strengths": "有",
            "problems": "会议记录不完整",
            "suggestions": "补齐",
            "deadline": "2099-12-31",
            **scores,
            "p_3.1": "会议记录不完整",
        },
    )
    assert "已提交互查评分表" in done
    login(client, "sj21")
    items = open_page(client, open_page(client, url).link("支部问题清单"))
    ask_to_close(client, row_link(items, "会议记录不完整"), measure="已补齐", responsible="张书记")
    login(client, "hc01")
    close(client, row_link(open_page(client, url), "会议记录不完整", "整改与销号"), "已核实")
    assert "已回头看" in open_page(client, url)

    login(client, "dq01")
    members = roster(client)
    edit = open_page(client, row_link(members, "喻林"))
    saved = submit(client, edit.form(button="保存"), {"username": "kp01"})
    assert "已保存“喻林”" in saved and "kp01" in saved.row("喻林")

    # The relink is on the audit trail: who, and the login before and after.
    login(client, "sh01")
    trail = open_page(client, "/audit/?q=喻林")
    assert "hc01" in trail and "kp01" in trail and "王立新" in trail

    login(client, "kp01")  # the roster now points at kp01: still no inspector
    assert client.get(url).status_code == 404
    login(client, "hc01")  # the inspector assigned keeps the record of their inspection
    assert "已回头看" in open_page(client, url)
