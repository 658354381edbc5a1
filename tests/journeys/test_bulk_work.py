"""Bulk work through the pages — 催办 of late sheets with a confirmation and the
list of who was reminded; reviewers given to chosen branches (matrix, dry run, refusal);
a branch's rectification measures at once (page and .xlsx, dry run, row-numbered errors,
all or nothing); 支部书记 accounts for every branch without one (passwords shown once,
downloadable once, changed at the first login)."""

import io
import re
from datetime import date, timedelta
from html import unescape

import openpyxl

from .pages import (
    Page,
    create_campaign,
    download,
    login,
    open_page,
    submit,
    upload,
    xlsx_rows,
)

DEMO = "2026年度党支部标准化建设考评（演示）"


def _campaign(client, name: str) -> Page:
    return open_page(client, open_page(client, "/campaigns/").link(name))


# -- 催办 --------------------------------------------------------------------------------


def test_remind_late_sheets_after_confirmation_lists_who_was_reminded(client, mailoutbox):
    # 孙运维 (系统管理员) records 蒋红梅's email address; 邹平 has none.
    login(client, "xt01")
    people = open_page(client, "/people/?q=sj01")
    person = open_page(client, people.link("sj01"))
    saved = submit(client, person.form(button="保存"), {"email": "jhm@example.cn"})
    assert "jhm@example.cn" in saved.html

    login(client, "dq01")
    # The demo campaign has nothing late: the one-click 催办 says so and sends nothing.
    progress = open_page(client, _campaign(client, DEMO).link("进度"))
    nothing = open_page(client, progress.link("一键催办逾期"))
    assert "没有逾期未交的考评表" in nothing
    assert not [form for form in nothing.forms if "/remind/" in form.action]
    # A campaign whose self-assessment ended last month: every sheet is late.
    start = (date.today() - timedelta(days=45)).isoformat()
    detail = create_campaign(
        client,
        name="2026年度标准化建设补考评",
        version="涪陵",
        scope="JT",
        template="标准化建设",
        year="2026",
        start=start,
    )
    opened = submit(client, detail.form(action="/open/"))
    assert "考评活动已开始" in opened
    # The department's home page shows the running campaign's late sheets by enterprise.
    panel = open_page(client, "/").text.split("2026年度标准化建设补考评 · 进行中")[1][:300]
    assert "当前阶段：自查" in panel and "已逾期" in panel
    # Every sheet of each enterprise is late: none submitted, none signed.
    for enterprise in ("华西特钢公司党委", "华西能化公司党委"):
        sheets = re.search(rf"{enterprise} (\d+) 0 0 (\d+)", panel)
        assert sheets and sheets[1] == sheets[2] != "0", panel
    progress = open_page(client, opened.link("进度"))
    confirm = open_page(client, progress.link("一键催办逾期"))
    # Confirmation first: who will be reminded, for which sheets; nothing sent yet.
    assert "确认催办" in confirm and mailoutbox == []
    row = confirm.row("蒋红梅")
    assert "jhm@example.cn" in row and "炼钢一作业区党支部" in row and "已逾期" in row
    done = submit(client, confirm.form(button="确认催办"))
    assert "已催办" in done and "蒋红梅（1 份）" in done
    (mail,) = mailoutbox
    assert mail.to == ["jhm@example.cn"] and "炼钢一作业区党支部（自查）" in mail.body
    assert "已逾期" in mail.body
    # Those without an email address are named, to be called.
    assert "没有登记邮箱" in done

    # The trail shows who reminded whom.
    login(client, "sh01")
    trail = open_page(client, "/audit/?q=补考评")
    assert "催办（逾期）" in trail and "蒋红梅" in trail and "王立新" in trail


def test_remind_is_the_departments_alone(client):
    login(client, "dq01")
    url = open_page(client, _campaign(client, DEMO).link("进度")).link("催办全部未提交")
    for who in ("ld01", "kp01"):
        login(client, who)
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, {"scope": "open"}).status_code in (403, 404)
    login(client, "dq01")
    assert client.get(url.split("?")[0] + "?scope=everyone", follow=True).status_code == 200
    refused = Page(client.get(url.split("?")[0] + "?scope=everyone", follow=True))
    assert "催办范围无效" in refused


# -- reviewers for chosen branches --------------------------------------------------------


def _matrix_fields(page: Page) -> dict[tuple[str, str], tuple[str, str]]:
    """(organization, reviewer username or "—") → (field name, value), read off the radios."""
    out = {}
    for name, value, element in re.findall(
        r'<input type="radio" name="(org_\d+)" value="(\d*)" id="([^"]+)"', page.html
    ):
        label = unescape(page.labels[element]).strip()
        org, reviewer = label.split(" · ")
        username = re.search(r"（(\w+)）", reviewer)
        out[(org, username.group(1) if username else "—")] = (name, value)
    return out


def _acceptance_assign(client) -> str:
    """The campaign page's 分配考评员 link of its last stage (考核验收)."""
    detail = _campaign(client, DEMO)
    return detail.links_to(r"^/stages/\d+/assign/$")[-1][0]


def test_department_gives_chosen_branches_to_a_reviewer(client):
    login(client, "dq01")
    stage = open_page(client, _acceptance_assign(client))
    assert "考核验收" in stage, stage.text[:300]
    matrix = open_page(client, stage.link("按组织指定考评员"))
    cells = _matrix_fields(matrix)
    five = [
        "炼钢一作业区党支部",
        "炼钢二作业区党支部",
        "连铸作业区党支部",
        "轧钢厂党支部",
        "设备维修党支部",
    ]
    form = matrix.form(button="确认分配")
    blank = {name: "" for name in form.fields if name.startswith("org_")}
    choice = dict(blank)
    for org in five:
        name, value = cells[(org, "kp02")]
        choice[name] = value
    # kp02 holds a role in 华西特钢公司党委: refused there, and then nothing is stored.
    name, value = cells[("华西特钢公司党委", "kp02")]
    refused = submit(client, form, {**choice, name: value, "confirm": "1"})
    assert "未做任何修改" in refused
    assert "华西特钢公司党委：钱互评（kp02）属于该组织，不能给本组织打分" in refused
    # Dry run: the plan, nothing stored.
    preview = submit(client, form, {**choice, "preview": "1"})
    assert "试运行" in preview and "钱互评（kp02）：5 个" in preview
    login(client, "kp02")
    assert not [u for u, label in open_page(client, "/").links if "考核验收" in label]

    login(client, "dq01")
    matrix = open_page(client, matrix.url)
    done = submit(client, matrix.form(button="确认分配"), {**choice, "confirm": "1"})
    assert "已按指定分配 5 份考评表" in done, done.text[:800]
    login(client, "kp02")
    mine = [label for _, label in open_page(client, "/").links if label.endswith("· 考核验收")]
    assert sorted(label.split(" · ")[0] for label in mine) == sorted(five)
    login(client, "sh01")
    trail = open_page(client, "/audit/?q=考核验收")
    assert "按组织指定考评员" in trail and "连铸作业区党支部" in trail
    # The matrix now lists them as assigned and offers only the rest.
    login(client, "dq01")
    again = open_page(client, matrix.url)
    assert "炼钢一作业区党支部" in again.row("炼钢一作业区党支部", "kp02")
    assert ("炼钢一作业区党支部", "kp02") not in _matrix_fields(again)


def test_assignment_matrix_is_the_departments_alone(client):
    login(client, "dq01")
    url = open_page(client, _acceptance_assign(client)).link("按组织指定考评员")
    for who in ("ld01", "kp01", "sj01"):
        login(client, who)
        assert client.get(url).status_code in (403, 404)


# -- a branch's rectification measures ----------------------------------------------------


def _measures_page(client) -> Page:
    home = login(client, "sj01")
    item = open_page(client, home.link("炼钢一作业区党支部", href="/rectifications/"))
    return open_page(client, item.link("在一个页面填写本支部全部整改措施"))


def _textareas(page: Page) -> dict[str, str]:
    return {
        name: unescape(text)
        for name, text in re.findall(
            r'<textarea[^>]*name="(measure_\d+)"[^>]*>(.*?)</textarea>', page.html, re.S
        )
    }


def test_secretary_fills_measures_on_one_page_all_or_nothing(client):
    page = _measures_page(client)
    form = page.form(button="保存全部")
    names = sorted(n for n in form.fields if n.startswith("measure_"))
    assert len(names) >= 20  # the demo's 83.5-point branch has many items
    first, second, third = (n.split("_")[1] for n in names[:3])
    data = {
        f"measure_{first}": "每月召开支委会并留存记录",
        f"responsible_{first}": "蒋红梅",
        f"measure_{second}": "补齐党员发展档案",
        f"responsible_{second}": "组织委员",
    }
    # A responsible person without a measure: refused, and nothing else is stored either.
    refused = submit(client, form, {**data, f"responsible_{third}": "宣传委员", "confirm": "1"})
    assert "未做任何修改" in refused and "填写了责任人，但整改措施为空" in refused
    assert "每月召开支委会并留存记录" not in _textareas(_measures_page(client)).values()
    # Dry run, then save.
    preview = submit(client, form, {**data, "preview": "1"})
    assert "试运行：2 项将被更新" in preview
    assert "每月召开支委会并留存记录" not in _textareas(_measures_page(client)).values()
    saved = submit(client, form, {**data, "confirm": "1"})
    assert "已保存 2 项整改措施" in saved
    assert _textareas(saved)[f"measure_{first}"] == "每月召开支委会并留存记录"

    # Others may not: a reviewer who can see the branch gets 403, another secretary 404.
    for who, status in (("kp01", 403), ("sj02", 404)):
        login(client, who)
        assert client.get(page.url).status_code == status


def test_secretary_fills_measures_from_excel_with_a_dry_run(client):
    page = _measures_page(client)
    content = download(client, page.link("下载整改措施填写表"))
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["事项编号", "指标", "问题", "整改措施", "责任人"]
    assert isinstance(sheet.cell(2, 1).value, int)  # item numbers are numbers
    rows = xlsx_rows(content)
    assert len(rows) - 1 == len(
        [n for n in page.form(button="保存全部").fields if n.startswith("measure_")]
    )
    sheet.cell(2, 4, "支委会每月一次，书记带头讲党课")
    sheet.cell(2, 5, "蒋红梅")
    sheet.cell(3, 4, "完善“三会一课”台账")
    sheet.cell(4, 1).value = None
    sheet.cell(4, 2, "9.9")  # no such item on this branch's list
    sheet.cell(4, 4, "不存在的事项")
    out = io.BytesIO()
    book.save(out)
    upload_form = page.form(button="上传并预览")
    refused = upload(client, upload_form, out.getvalue(), "整改措施.xlsx")
    assert "未做任何修改" in refused, refused.text[:900]
    assert "第 4 行：指标 9.9 不是本支部待填写的整改事项" in refused
    assert "支委会每月一次" not in _textareas(_measures_page(client)).values()

    sheet.cell(4, 2, rows[3][1])
    sheet.cell(4, 1, rows[3][0])
    sheet.cell(4, 4).value = None
    out = io.BytesIO()
    book.save(out)
    preview = upload(client, upload_form, out.getvalue(), "整改措施.xlsx")
    assert "试运行：文件中 2 项将被更新" in preview, preview.text[:600]
    shown = _textareas(preview)
    assert "支委会每月一次，书记带头讲党课" in shown.values()
    assert "支委会每月一次" not in " ".join(_textareas(_measures_page(client)).values())
    # Confirm what the preview shows (the page's form, filled from the file).
    saved = submit(client, preview.form(button="保存全部"), {**shown, "confirm": "1"})
    assert "已保存 2 项整改措施" in saved
    assert xlsx_rows(download(client, page.link("下载整改措施填写表")))[1][3] == (
        "支委会每月一次，书记带头讲党课"
    )
    # Not an .xlsx: refused before reading.
    refused = upload(client, upload_form, b"a,b\n", "整改措施.csv")
    assert ".xlsx" in refused.text


# -- secretary accounts in bulk ------------------------------------------------------------


def test_sysadmin_creates_secretary_accounts_for_every_branch_without_one(client):
    tree = login(client, "xt01")
    tree = open_page(client, "/orgs/")
    page = open_page(client, tree.link("批量创建书记账号"))
    form = page.form(button="创建账号")
    usernames = {n: v for n, v in form.fields.items() if n.startswith("username_")}
    # Every 党支部/党总支 in the demo but the two that have one (sj01, sj02).
    assert "炼钢一作业区党支部" not in page.html and "一号煤矿党支部" not in page.html
    assert "炼钢二作业区党支部" in page and "炼钢厂党总支" in page
    count = len(usernames)
    assert count >= 10, usernames  # 16 in the demo, 2 with a secretary (sj01, sj02)
    # A 工号 already taken refuses the whole batch.
    taken_field = next(iter(usernames))
    refused = submit(client, form, {taken_field: "kp01", "confirm": "1"})
    assert "未创建任何账号" in refused and "工号“kp01”已存在" in refused
    # Dry run: the plan, no account.
    preview = submit(client, form, {"preview": "1"})
    assert f"将创建 {count} 个账号" in preview
    assert "sj-" not in open_page(client, "/people/?q=sj-").text
    done = submit(client, form, {"confirm": "1"})
    assert "只显示这一次" in done
    shown = {
        username: password
        for username, password in re.findall(
            r"<td>(sj-[\w-]+)</td><td>[^<]*</td><td><code>([^<]+)</code>", done.html
        )
    }
    assert len(shown) == count
    # Shown once: the page does not show them again.
    assert "已经显示过了" in open_page(client, "/people/secretaries/done/")
    # Downloadable once, as a real .xlsx.
    rows = xlsx_rows(download(client, done.link("下载初始密码")))
    assert rows[0] == ("组织编码", "组织", "工号", "姓名", "初始密码")
    assert {r[2]: r[4] for r in rows[1:]} == shown
    again = Page(client.get(done.link("下载初始密码"), follow=True))
    assert "只能下载一次" in again
    # 三员分立: the accounts have no role yet; the 安全管理员 imports the grants file.
    assert "尚无角色" in done
    grants = download(client, done.link("下载支部书记授权表"))
    assert {r[0]: r[6] for r in xlsx_rows(grants)[1:]} == dict.fromkeys(shown, "支部书记")
    assert "炼钢二作业区党支部" in open_page(client, page.url)  # still without a secretary
    login(client, "aq01")
    importing = open_page(client, open_page(client, "/").link("导入角色授权"))
    preview = upload(client, importing.form(button="上传"), grants, "支部书记授权表.xlsx")
    assert f"新增 {count}" in preview and "错误 0" in preview
    assert "导入完成" in submit(client, preview.form(button="确认导入"))
    # The branches now have their secretary; nobody is left without one.
    login(client, "xt01")
    assert "都已有支部书记账号" in open_page(client, page.url)

    # The new secretary logs in with the initial password and must change it first.
    first = sorted(shown)[0]
    client.logout()
    response = client.post("/accounts/login/", {"username": first, "password": shown[first]})
    assert response.status_code == 302
    forced = open_page(client, "/")
    assert "修改密码" in forced and forced.url.startswith("/accounts/password")


def test_only_the_account_administrator_creates_secretary_accounts(client):
    for who in ("dq01", "ld01", "sh01", "sj01"):
        login(client, who)
        assert client.get("/people/secretaries/").status_code == 403, who
        assert client.post("/people/secretaries/", {"confirm": "1"}).status_code == 403, who
    login(client, "dq01")
    assert "批量创建书记账号" not in open_page(client, "/orgs/")


def _ticked(page: Page) -> dict[str, str]:
    """Every radio group of the matrix as the page shows it: the ticked value, or ""."""
    out = {}
    for attrs in re.findall(r'<input type="radio"([^>]*)>', page.html):
        name = re.search(r'name="([^"]+)"', attrs).group(1)
        value = re.search(r'value="([^"]*)"', attrs).group(1)
        out.setdefault(name, "")
        if " checked" in attrs:
            out[name] = value
    return out


def test_department_assigns_reviewers_from_an_excel_table_with_a_dry_run(client):
    login(client, "dq01")
    matrix = open_page(
        client, open_page(client, _acceptance_assign(client)).link("按组织指定考评员")
    )
    content = download(client, matrix.link("下载分配表"))
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet, people = book.worksheets
    assert [c.value for c in sheet[1]] == ["组织编码", "组织", "考评员工号"]
    assert ("kp03", "孙互评") in [(r[0], r[1]) for r in people.iter_rows(2, values_only=True)]
    rows = {r[0]: n for n, r in enumerate(sheet.iter_rows(2, values_only=True), start=2)}
    for code in ("NH-HG", "NH-DC", "NH-XS"):
        sheet.cell(rows[code], 3).value = "kp03"
    sheet.cell(rows["WL-CD"], 3).value = "kp99"  # nobody
    out = io.BytesIO()
    book.save(out)
    form = matrix.form(button="上传并预览")
    refused = upload(client, form, out.getvalue(), "分配表.xlsx")
    assert "未做任何修改" in refused
    assert f"第 {rows['WL-CD']} 行：工号“kp99”不是考评员" in refused

    sheet.cell(rows["WL-CD"], 3).value = None
    out = io.BytesIO()
    book.save(out)
    preview = upload(client, form, out.getvalue(), "分配表.xlsx")
    assert "试运行" in preview and "孙互评（kp03）：3 个" in preview
    ticked = _ticked(preview)
    chosen = [v for v in ticked.values() if v]
    assert len(chosen) == 3 and len(set(chosen)) == 1  # the three rows, all kp03
    login(client, "kp03")
    assert not [label for _, label in open_page(client, "/").links if "考核验收" in label]

    login(client, "dq01")
    done = submit(client, preview.form(button="确认分配"), {**ticked, "confirm": "1"})
    assert "已按指定分配 3 份考评表" in done
    login(client, "kp03")
    mine = [label for _, label in open_page(client, "/").links if label.endswith("· 考核验收")]
    assert sorted(label.split(" · ")[0] for label in mine) == [
        "化工分厂党支部",
        "热电厂党支部",
        "销售公司党支部",
    ]
