"""三员分立 in the browser: the 系统管理员 creates an account (no role: it cannot grant one,
never itself, never the audit trail); the 安全管理员 grants it a role (never to itself);
the person must change the administrator's password first; the 审计员 finds all of it in
the audit trail, on a phone too, and exports it."""

import io
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_campaign_path import new_page

INITIAL = "Chushi#2026"
OWN = "Xinmima#2026"


def test_sysadmin_person_and_auditor(browser, live_server, tree, sysadmin, security_admin, auditor):
    admin = new_page(browser, live_server)
    log_in(admin, "sysadmin")
    admin.goto("/people/new/")
    admin.get_by_label("工号").fill("300100")
    admin.get_by_label("姓名").fill("新书记")
    admin.get_by_label("初始密码").fill(INITIAL)
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator(".alert-success")).to_contain_text("已新增账号 新书记（300100）")
    expect(admin.locator("#grants-by-security-admin")).to_contain_text("角色由安全管理员授予")
    expect(admin.get_by_role("button", name="授予")).to_have_count(0)
    person_url = admin.url
    admin.goto(f"/people/{sysadmin.pk}/")  # its own account: read-only
    expect(admin.locator("#account-refusal")).to_contain_text("不能在人员管理中修改自己的账号")
    admin.goto("/audit/")
    expect(admin.locator("body")).to_contain_text("无权操作")

    security = new_page(browser, live_server)
    log_in(security, "security")
    security.goto(person_url)
    security.get_by_label("组织").select_option(str(tree.a.pk))
    security.get_by_label("角色").select_option(label="支部书记")
    security.get_by_role("button", name="授予").click()
    expect(security.locator(".alert-success")).to_contain_text("已授予角色")
    expect(security.get_by_role("button", name="设置密码")).to_have_count(0)
    security.goto(f"/people/{security_admin.pk}/")  # its own account: no grant
    expect(security.locator("#account-refusal")).to_contain_text("不能在人员管理中修改自己的账号")
    expect(security.get_by_role("button", name="授予")).to_have_count(0)

    person = new_page(browser, live_server)
    log_in(person, "300100", INITIAL)
    expect(person.locator("#change-reason")).to_contain_text("您的密码由管理员设置")
    person.locator("#id_old_password").fill(INITIAL)
    person.locator("#id_new_password1").fill("abcdefgh")
    person.locator("#id_new_password2").fill("abcdefgh")
    person.get_by_role("button", name="保存新密码").click()
    expect(person.locator("body")).to_contain_text("四类中的 3 类（当前只有 1 类）")
    person.locator("#id_old_password").fill(INITIAL)
    person.locator("#id_new_password1").fill(OWN)
    person.locator("#id_new_password2").fill(OWN)
    person.get_by_role("button", name="保存新密码").click()
    expect(person.locator("body")).to_contain_text("密码已修改")
    person.goto("/")
    expect(person.locator("h1")).to_contain_text("您好，新书记")

    reader = new_page(browser, live_server)
    reader.set_viewport_size({"width": 390, "height": 844})
    log_in(reader, "auditor")
    reader.get_by_role("button", name="菜单").click()
    reader.get_by_role("link", name="审计记录").first.click()
    reader.get_by_label("操作人").fill("300100")
    reader.get_by_role("button", name="查询").click()
    table = reader.locator("#audit-table")
    expect(table).to_contain_text("登录")
    expect(table).to_contain_text("下次登录须修改密码")
    assert reader.evaluate("document.documentElement.scrollWidth") <= 390
    with reader.expect_download() as download:
        reader.get_by_role("link", name="导出 Excel").click()
    content = Path(download.value.path()).read_bytes()  # the saved file has no .xlsx suffix
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert {r[4] for r in rows} >= {"登录", "修改"}
    assert all(r[1] == "新书记（300100）" for r in rows)
