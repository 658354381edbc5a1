"""The one 销号 flow of a branch's problem list, as its pages offer it: the secretary writes
the measure and asks for 销号; the one who may verify (the reviewer, the department, the
inspection's inspectors, the pairing's helper) confirms 销号 or returns it, then records
回头看. Pages only, like ``pages``."""

from .pages import Page, open_page, submit


def ask_to_close(client, item_url: str, *, measure: str, responsible: str) -> Page:
    """The branch secretary: 整改措施 and 责任人, then 提交销号申请."""
    page = open_page(client, item_url)
    saved = submit(
        client,
        page.form(action="/measure/"),
        {"measure": measure, "responsible": responsible},
    )
    assert "已保存整改措施" in saved, saved.text[:300]
    asked = submit(client, saved.form(action="/submit/"))
    assert "待销号" in asked, asked.text[:300]
    return asked


def close(client, item_url: str, note: str = "") -> Page:
    """核实销号 → the confirmation page → 确认销号."""
    page = open_page(client, item_url)
    form = page.form(action="/close/")
    confirm = open_page(client, f"{form.action}?note={note}")
    assert "确定销号吗" in confirm, confirm.text[:300]
    closed = submit(client, confirm.form(button="确认销号"))
    assert "已销号" in closed, closed.text[:300]
    return closed


def follow_up(client, item_url: str, *, note: str, on: str) -> Page:
    page = open_page(client, item_url)
    return submit(client, page.form(action="/follow-up/"), {"note": note, "on": on})
