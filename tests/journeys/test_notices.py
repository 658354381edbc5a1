"""The message centre: a notice inside the product for every event that asks someone to act,
delivered by the task worker (immediately in tests), once per event, with email as a second
channel; the unread count in the header, a list, mark read and mark all read. Pages only,
from the demo (the periodic sweep is run as the worker runs it: `manage.py sweep_notices`)."""

import re

from django.core.management import call_command

from .pages import fill_sheet, login, my_sheets, open_page, row_link, submit
from .plaque_flow import evaluate_pairing


def _unread(page) -> int:
    found = re.search(r'id="unread-count">(\d+)<', page.html)
    return int(found.group(1)) if found else 0


def _return_own_sheet(client) -> tuple[str, str]:
    """sj01 submits the self-assessment; dq01 returns it with a reason. (URL, reason)."""
    login(client, "sj01")
    (url, _), *_ = my_sheets(client, "自查")
    fill_sheet(client, url)
    login(client, "dq01")
    sheet = open_page(client, url)
    reason = "请补充主题党日的会议记录"
    done = submit(client, sheet.form(action="/return/"), {"reason": reason})
    assert "已退回" in done
    return url, reason


def test_a_returned_sheet_reaches_its_secretary_once(client, mailoutbox):
    home = login(client, "sj01")
    before = _unread(home)
    url, reason = _return_own_sheet(client)

    home = login(client, "sj01")
    assert _unread(home) == before + 1
    # The workbench row: the sheet to fix, with the reason.
    row = home.row("修改退回的考评表")
    assert reason in row and url in home.html
    # The notice, and where it leads.
    notices = open_page(client, "/notices/")
    item = re.search(r"退回修改.*?未读", notices.text).group(0)
    assert reason in item and "自查" in item
    opened = submit(client, notices.form(action="/open/", button="去办理"))
    assert opened.url == url
    assert _unread(open_page(client, "/")) == before
    # Running the sweep again (the worker's hourly run) writes no second notice.
    call_command("sweep_notices", "returned")
    assert _unread(open_page(client, "/")) == before
    assert open_page(client, "/notices/").text.count(reason) == 1


def test_mark_all_read_and_the_list_pages(client):
    login(client, "sj01")
    call_command("sweep_notices")  # the worker's sweep: new tasks, deadlines, 换届…
    page = open_page(client, "/notices/?show=unread")
    unread = _unread(page)
    assert unread > 0 and "新任务" in page
    done = submit(client, page.form(action="/notices/read-all/"))
    assert f"已将 {unread} 条通知标为已读" in done and _unread(done) == 0
    assert "没有未读通知" in open_page(client, "/notices/?show=unread")
    # Someone else's notice is not there for anyone else.
    mine = open_page(client, "/notices/").forms
    opening = [f for f in mine if f.action.endswith("/open/")]
    login(client, "sj21")
    response = client.post(opening[0].action)
    assert response.status_code == 404
    # Bad page numbers answer with the last page, never an error.
    assert client.get("/notices/?page=999999999999").status_code == 200
    assert client.get("/notices/?page=abc").status_code == 200


def test_a_pairing_not_up_to_standard_tells_the_secretary_of_the_interview(client):
    """A quarterly 帮扶成效 below 达标 records a 约谈: its secretary (sj21) is told."""
    evaluate_pairing(client, "热电厂党支部", "55")
    login(client, "sj21")
    notices = open_page(client, "/notices/?show=unread")
    assert "约谈通知：热电厂党支部" in notices and "未达标" in notices
    assert "约谈" in open_page(client, "/").row("约谈", "热电厂党支部")


def test_sweep_overdue_and_term_due_once(client):
    """The worker's sweep: an overdue problem and a term ending within 90 days reach the
    secretary (sj21) once, however often it runs."""
    call_command("sweep_notices")
    login(client, "sj21")
    first = open_page(client, "/notices/")
    assert "整改事项已逾期" in first and "换届提醒：热电厂党支部" in first
    count = _unread(first)
    call_command("sweep_notices")
    again = open_page(client, "/notices/")
    assert _unread(again) == count and again.text == first.text


def test_remind_reports_each_channel(client, mailoutbox):
    login(client, "dq01")
    campaigns = open_page(client, "/campaigns/")
    running = campaigns.link("2026年度党支部标准化建设考评（演示）")
    progress = open_page(client, open_page(client, running).link("进度"))
    confirm = open_page(client, progress.link("催办全部未提交"))
    assert "站内通知" in confirm
    done = submit(client, confirm.form(button="确认催办"))
    reached = re.search(r"已催办 (\d+) 人（站内通知 (\d+) 人，其中邮件 (\d+) 人）", done.text)
    assert reached, done.text[:600]
    people, notified, emailed = (int(n) for n in reached.groups())
    assert people == notified and emailed == len(mailoutbox) and emailed < people
    # Each reminded person finds the 催办 in the product, with or without an email address.
    login(client, "sj01")
    assert "催办" in open_page(client, "/notices/?show=unread")


def test_a_problem_submitted_for_closing_tells_its_inspector(client):
    """The inspector who found a problem (hc01) is told when the branch asks for 销号, and
    finds it on the workbench."""
    from .problem_flow import ask_to_close
    from .test_one_problem_list import inspect_heat_plant

    inspection = inspect_heat_plant(client)
    login(client, "sj21")
    items = open_page(client, open_page(client, inspection).link("支部问题清单"))
    problem = row_link(items, "会议记录不完整")
    ask_to_close(client, problem, measure="补齐会议记录", responsible="热电厂书记")
    home = login(client, "hc01")
    assert _unread(home) >= 1
    notices = open_page(client, "/notices/?show=unread")
    assert "待核实销号：热电厂党支部 · 3.1" in notices
    assert "待核实销号" in home.row("待核实销号", "热电厂党支部 · 3.1")
