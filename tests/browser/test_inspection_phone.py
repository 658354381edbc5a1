"""The 互查 on a phone (390 px), from the demo: hc01 fills the 互查评分表 of 热电厂党支部 on
site and submits it; the submitted page (the four steps, thirteen scores, the problems now
on the branch's list) fits the screen for the inspector and the branch's secretary, with
a clean console. Typed text with a long unbroken word (a file name) wraps inside its card."""

import pytest
from django.core.management import call_command

from tests.browser.conftest import log_in

DEMO_PASSWORD = "Dangjian@2026"
PHONE = {"width": 390, "height": 844}
LONG_WORD = "dangjian_records_2026Q4_zhiweihui_minutes_scan_0001_final_version.pdf"


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - innerWidth")


def _fill_inspection(page) -> None:
    for name in ("step_report", "step_documents", "step_members", "strengths", "suggestions"):
        page.locator(f"[name='{name}']").fill("听取汇报、查阅台账，情况总体良好。")
    page.locator("[name='step_site']").fill(f"现场查看党员活动室，会议记录扫描件见 {LONG_WORD}")
    page.locator("[name='problems']").fill("三会一课记录缺少签到。")
    for box in page.locator("input[name^='s_']").all():
        label = page.locator(f"label[for='{box.get_attribute('id')}']").inner_text()
        box.fill(label.rsplit("（", 1)[-1].split(" 分")[0])  # full points
    page.locator("[name='s_3.1']").fill("5")
    page.locator("[name='p_3.1']").fill("“三会一课”记录缺少签到，见 " + LONG_WORD)
    page.locator("[name='deadline']").fill("2027-01-31")


@pytest.mark.parametrize("viewer", ["hc01", "sj21"])
def test_submitted_inspection_fits_a_phone(page, viewer):
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size(PHONE)
    log_in(page, "hc01", DEMO_PASSWORD)
    page.goto("/mechanisms/inspections/")
    page.get_by_role("link", name="热电厂党支部").first.click()
    page.wait_for_url("**/mechanisms/inspections/*/")
    inspection = page.url
    assert _overflow(page) <= 1, f"the form: {_overflow(page)} px"
    _fill_inspection(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交互查评分表").click()
    page.get_by_text("互查评分表 · 得分 97").wait_for()

    if viewer != "hc01":
        page.context.clear_cookies()
        log_in(page, viewer, DEMO_PASSWORD)
        page.goto(inspection)
        page.get_by_text("互查评分表 · 得分 97").wait_for()
    assert page.get_by_text("三会一课”记录缺少签到").count() >= 1
    assert _overflow(page) <= 1, f"{viewer}: the submitted 互查 is {_overflow(page)} px too wide"
    assert not errors, errors
