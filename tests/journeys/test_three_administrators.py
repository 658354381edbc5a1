"""三员分立 as the standard means it, from the demo: the 系统管理员 (xt01) makes accounts
and cannot give one a role, through the page or the people import; the 安全管理员 (aq01)
grants roles, never to itself; and xt01's password reset of an account that reads scores
(dq01, 党群部管理员) takes effect only once aq01 approves it. Pages only."""

import re

from tests import otp
from tests.conftest import xlsx_bytes

from .pages import PASSWORD, Page, login, open_page, row_form, submit, upload

HEADERS = ["工号", "姓名", "邮箱", "手机", "组织编码", "组织名称", "角色"]
NEW_PASSWORD = "Chongzhi#2026"


def person_page(client, username: str):
    people = open_page(client, f"/people/?q={username}")
    return open_page(client, people.link(username))


def group_root_pk(client) -> str:
    tree = open_page(client, "/orgs/")
    return re.search(r"/orgs/(\d+)/", tree.link("华西能源集团党委")).group(1)


def log_in(client, username: str, password: str) -> int:
    client.logout()
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def test_the_account_administrator_cannot_reach_scores_alone(client):
    # xt01 creates an account: it has no role, and xt01 cannot give it one.
    home = login(client, "xt01")
    created = submit(
        client,
        open_page(client, home.link("新增账号")).form(button="保存"),
        {"username": "300100", "name": "钱新人", "password": "Chushi#2026ab"},
    )
    assert "已新增账号 钱新人（300100）" in created and "该账号尚无角色" in created
    assert "尚未授予角色" in created and "角色由安全管理员授予或撤销" in created
    assert "/roles/" not in created.html  # no grant form offered
    root = group_root_pk(client)
    refused = client.post(created.url + "roles/", {"organization": root, "role": "dept_admin"})
    assert refused.status_code == 403
    assert "尚未授予角色" in person_page(client, "300100")

    # The people import: a row granting a role is refused in the preview.
    people = open_page(client, "/people/")
    importing = open_page(client, people.link("导入账号（Excel）"))
    sheet = xlsx_bytes(HEADERS, [["300101", "孙导入", "", "", "JT", "", "党群部管理员"]])
    preview = upload(client, importing.form(button="上传"), sheet, "人员.xlsx")
    assert "错误 1" in preview and "确认导入" not in preview
    assert preview.row("角色由安全管理员授予").split()[:2] == ["2", "错误"]
    assert "孙导入" not in open_page(client, "/people/?q=300101")

    # aq01 grants 考评员 to the new account; the administrators' roles are not offered.
    home = login(client, "aq01")
    assert "安全管理员" in home and "密码重置审批" in home
    waiting = open_page(client, home.link("待授予角色的账号"))
    assert "钱新人" in waiting.row("300100")
    person = open_page(client, waiting.link("300100"))
    grant = person.form(button="授予")
    roles = [label for _, label in grant.selects["role"]]
    assert "考评员" in roles
    assert not {"系统管理员", "安全管理员", "审计员"} & set(roles)
    granted = submit(
        client,
        grant,
        {
            "organization": person.option(grant, "organization", "华西能源集团党委"),
            "role": person.option(grant, "role", "考评员"),
        },
    )
    assert "已授予角色" in granted and "考评员" in granted.row("华西能源集团党委")
    assert "设置密码" not in granted  # passwords are the 系统管理员's

    # aq01 cannot grant itself anything.
    own = person_page(client, "aq01")
    assert "不能在人员管理中修改自己的账号" in own and "/roles/" not in own.html
    assert client.post(
        own.url + "roles/", {"organization": root, "role": "leader"}
    ).status_code == (403)
    assert "尚未授予角色" not in own and "领导" not in own.row("华西能源集团党委")


def test_a_password_reset_of_a_score_reader_waits_for_the_security_administrator(client):
    login(client, "xt01")
    dq01 = person_page(client, "dq01")
    assert "须经安全管理员批准才生效" in dq01
    requested = submit(
        client,
        dq01.form(button="申请重置密码"),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "新密码须经安全管理员批准后才生效" in requested
    assert "待安全管理员批准" in requested
    # xt01 may not approve its own request.
    resets = open_page(client, "/people/resets/")
    assert "待安全管理员批准" in resets.row("王立新")
    assert "/approve/" not in resets.html
    # Nothing changed yet: the old password works, the new one does not.
    assert log_in(client, "dq01", NEW_PASSWORD) == 200
    assert log_in(client, "dq01", PASSWORD) == 302

    home = login(client, "aq01")
    assert "密码重置审批 1" in home
    resets = open_page(client, home.link("密码重置审批"))
    approve = row_form(resets, "王立新", "孙运维", action="/approve/")
    login(client, "xt01")
    assert client.post(approve.action).status_code == 403  # the requester cannot approve
    login(client, "aq01")
    approved = submit(client, approve)
    assert "已批准 王立新（dq01）" in approved and "新密码已生效" in approved
    assert "已批准" in approved.row("王立新", "郑安全")

    # The new password works now, and must be changed at once.
    assert log_in(client, "dq01", PASSWORD) == 200
    response = client.post(
        "/accounts/login/", {"username": "dq01", "password": NEW_PASSWORD}, follow=True
    )
    # The second factor first (dq01 is privileged), then the forced password change.
    verify = Page(response)
    changed = submit(client, verify.form(button="验证"), {"token": otp.code_for("dq01")})
    assert "您的密码由管理员设置，请先修改" in changed

    # Both steps are in the audit trail, each under its own name.
    login(client, "sh01")
    audit = open_page(client, "/audit/?q=密码重置申请")
    assert "孙运维" in audit.row("密码重置申请", "新增")
    assert "郑安全" in audit.row("密码重置申请", "修改")


def test_an_account_only_import_row_previews_as_new(client):
    """The preview says what confirming does: a row that only creates an account is 新增,
    named, not 无变化."""
    login(client, "xt01")
    importing = open_page(client, open_page(client, "/people/").link("导入账号（Excel）"))
    sheet = xlsx_bytes(HEADERS, [["300102", "李只建号", "", "", "", "", ""]])
    preview = upload(client, importing.form(button="上传"), sheet, "人员.xlsx")
    assert "新增 1" in preview and "无变化 1" not in preview
    assert preview.row("李只建号（300102）").split()[:2] == ["2", "新增"]
    again = upload(client, importing.form(button="上传"), sheet, "人员.xlsx")
    assert "无变化 0" in again  # nothing stored yet: still a new account


def test_the_security_administrator_cannot_reset_another_administrators_second_factor(client):
    """三员分立: no administrator acts on another; a superuser resets their second factor."""
    page = open_page(client, login(client, "aq01").link("动态验证码"))
    assert "只能由超级管理员重置" in page.row("sh01")
    assert "只能由超级管理员重置" in page.row("xt01")
    sh01 = page.html.split('data-username="sh01"')[1].split("</tr>")[0]
    assert "/second-factor/reset/" not in sh01
    pk = re.search(r"/people/(\d+)/", open_page(client, "/people/?q=sh01").link("sh01")).group(1)
    assert client.post(f"/people/{pk}/second-factor/reset/").status_code == 403
