"""A secretary adds a measure with evidence; a reviewer checks it and closes the item."""

from playwright.sync_api import expect

from assessments.models import RectificationItem
from tests.assessments.conftest import reviewed_campaign
from tests.browser.conftest import log_in
from tests.browser.test_campaign_path import new_page

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_secretary_rectifies_and_reviewer_closes(
    browser, live_server, tree, dept_admin, secretary_a, reviewer, tmp_path
):
    reviewed_campaign(tree, dept_admin, reviewer, "xining-b")
    item = RectificationItem.objects.get(organization=tree.a)

    secretary = new_page(browser, live_server)
    log_in(secretary, "sec_a")
    secretary.locator("#my-tasks").get_by_role("link", name="甲党支部 · 1.1").click()
    secretary.get_by_label("整改措施").fill("每月10日召开支委会，会议记录当日归档")
    secretary.get_by_label("责任人").fill("甲书记")
    secretary.get_by_role("button", name="保存整改措施").click()
    expect(secretary.locator("#measure")).to_contain_text("每月10日召开支委会")
    evidence = tmp_path / "支委会记录.pdf"
    evidence.write_bytes(PDF)
    secretary.get_by_label("整改佐证材料").set_input_files(str(evidence))
    secretary.get_by_role("button", name="上传材料").click()
    expect(secretary.locator("#evidence")).to_contain_text("支委会记录.pdf")
    secretary.get_by_role("button", name="提交销号申请").click()
    expect(secretary.locator("#item-state")).to_have_text("待销号")

    checker = new_page(browser, live_server)
    log_in(checker, "reviewer")
    checker.locator("#my-tasks").get_by_role("link", name="甲党支部 · 1.1").click()
    with checker.expect_download() as download:
        checker.locator("#evidence").get_by_role("link", name="支委会记录.pdf").click()
    assert download.value.suggested_filename == "支委会记录.pdf"
    checker.get_by_label("核实情况").fill("已查阅支委会记录，属实")
    checker.get_by_role("button", name="核实销号").click()
    expect(checker.locator("#confirm-step")).to_contain_text("销号表示已核实整改到位")
    checker.get_by_role("button", name="确认销号").click()
    expect(checker.locator("#item-state")).to_have_text("已销号")
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_by == reviewer
