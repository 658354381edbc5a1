"""The score sheet on a phone (390×844) and on a desktop (1440×900).

On the demo's Fuling-standard campaign: the secretary fills every item of her
self-assessment on a phone with the quick-score buttons, adds a photo from the camera
button, and submits; the page never gets wider than the screen and the running total
stays in sight while she scrolls. The reviewer then sees her scores beside his own, as a
table on a desktop and labelled on each card on a phone. Screenshots of both go to the
test's temporary folder (never committed); the assertions are on sizes and landmarks.
"""

import re
import struct

from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import log_in

DEMO_PASSWORD = "Dangjian@2026"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _context(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def _png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def _open_sheet(page, who: str, stage: str) -> None:
    log_in(page, who, DEMO_PASSWORD)
    page.get_by_role("link", name=re.compile(f"炼钢一作业区党支部 · {stage}")).first.click()
    expect(page.locator("#sheet-form")).to_be_visible()


def test_fuling_sheet_on_a_phone_and_a_desktop(browser, live_server, tmp_path):
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)

    # -- the secretary, on her phone -------------------------------------------------------
    phone = _context(browser, live_server, PHONE)
    _open_sheet(phone, "sj01", "自查")
    _no_sideways_scroll(phone)
    scores = phone.locator("input[name^='v_']")
    assert scores.count() == 61
    # Each indicator is a card: its text across the screen, a large score box under it.
    text = phone.locator("#row-1\\.1 td.c-text").bounding_box()
    box = phone.get_by_label("1.1 得分").bounding_box()
    assert text["width"] > PHONE["width"] * 0.7 and box["y"] > text["y"]
    assert box["height"] >= 44 and box["width"] > PHONE["width"] * 0.6
    assert "0 至" in phone.locator("#row-1\\.1 .score-range").inner_text()  # range and step
    camera = phone.locator("#camera-file")
    assert camera.get_attribute("accept") == "image/*,application/pdf"
    assert camera.get_attribute("capture") is not None

    # The bar: total, grade and save state always in sight; unfilled items counted.
    expect(phone.locator("#sheet-bar")).to_be_visible()
    expect(phone.locator("#bar-unfilled-count")).to_have_text("61")
    phone.locator("#bar-unfilled").click()
    assert phone.evaluate("document.activeElement.name") == "v_1.1"
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    assert _in_view(phone, "#bar-total") and _in_view(phone, "#bar-unfilled")
    # The section index jumps to a section.
    phone.locator("#section-index a").nth(3).click()
    phone.wait_for_function(  # scrolling may be smooth: wait until it arrives
        "() => { const r = document.querySelector('#section-4 h2').getBoundingClientRect();"
        " return r.top >= 0 && r.top < innerHeight / 2; }"
    )
    assert _in_view(phone, "#section-index")  # the index stays at the top

    # Full marks for every line, with the quick buttons.
    for name in scores.evaluate_all("els => els.map(e => e.name)"):
        phone.locator(f"button[data-set='{name}']", has_text="满分").click()
    expect(phone.locator("#bar-unfilled")).to_be_hidden()
    expect(phone.locator("#bar-state")).to_have_text(re.compile(r"已保存 \d\d:\d\d:\d\d"))
    expect(phone.locator("#bar-total")).to_have_text("100")
    expect(phone.locator("#bar-grade")).to_have_text("合格")
    assert _in_view(phone, "#bar-total")

    # A photo from the camera button, for item 1.1 (the page saves, uploads, comes back).
    with phone.expect_file_chooser() as chooser:
        phone.locator("#row-1\\.1 button[data-camera]").click()
    chooser.value.set_files({"name": "会议照片.png", "mimeType": "image/png", "buffer": PNG_1PX})
    expect(phone.locator("#row-1\\.1")).to_contain_text("会议照片")
    expect(phone.get_by_label("1.1 得分")).not_to_have_value("")
    _no_sideways_scroll(phone)
    phone.screenshot(path=tmp_path / "sheet-phone.png")
    assert _png_size(tmp_path / "sheet-phone.png") == (390, 844)

    phone.locator("#submit-sheet").click()
    expect(phone.locator("#sheet-state")).to_have_text("已提交")
    _no_sideways_scroll(phone)
    phone.context.close()

    # -- the reviewer, on a desktop: the table, her scores beside his -----------------------
    desk = _context(browser, live_server, DESKTOP)
    _open_sheet(desk, "kp01", "督导检查")
    _no_sideways_scroll(desk)
    expect(desk.locator(".sheet-table thead").first).to_be_visible()
    expect(desk.locator("#sheet-bar")).to_be_hidden()  # the side panel shows the total
    earlier = desk.locator("#row-1\\.1 td[data-compare='1.1']")
    expect(earlier).to_have_count(1)
    desk.get_by_label("1.1 得分").fill("0")
    desk.get_by_label("1.1 扣分说明").fill("台账不全")
    desk.get_by_label("1.1 扣分说明").press("Tab")
    expect(desk.locator("#saved-at")).to_be_visible()
    desk.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    desk.wait_for_timeout(200)
    assert _in_view(desk, "#running-total")  # sticky beside the table
    desk.screenshot(path=tmp_path / "sheet-desktop.png")
    assert _png_size(tmp_path / "sheet-desktop.png") == (1440, 900)

    # The same review on a phone: the earlier stage's score labelled on the card.
    desk.set_viewport_size(PHONE)
    desk.reload()
    _no_sideways_scroll(desk)
    label = earlier.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert "自查" in label
    assert earlier.bounding_box()["width"] > PHONE["width"] * 0.7
    assert _in_view(desk, "#bar-total")
    desk.context.close()
    print(f"screenshots: {tmp_path}")


def test_wide_tables_scroll_inside_their_box_on_a_phone(browser, live_server):
    """The stage table, the ledger and 结果运用 keep readable columns on a phone: they
    scroll sideways inside their box, the page itself never does."""
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)
    page = _context(browser, live_server, PHONE)
    log_in(page, "dq01", DEMO_PASSWORD)
    page.goto("/campaigns/")
    page.get_by_role("link", name=re.compile("已完成")).first.click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
    campaign = page.url
    _no_sideways_scroll(page)
    assert page.locator("#stages").bounding_box()["width"] > PHONE["width"]
    page.get_by_role("link", name="结果与台账").first.click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/results/$"))
    _no_sideways_scroll(page)
    page.get_by_role("link", name="结果运用").first.click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/consequences/$"))
    _no_sideways_scroll(page)
    table = page.locator("#consequences")
    assert table.bounding_box()["width"] > PHONE["width"]  # columns not squeezed
    assert table.locator("xpath=..").evaluate("box => getComputedStyle(box).overflowX") == "auto"
    assert campaign
