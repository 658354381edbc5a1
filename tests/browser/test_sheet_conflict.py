"""Two tabs on one sheet: the stale tab is told what differs, keeps its input, and can keep it."""

from playwright.sync_api import expect

from assessments.models import SheetEntry
from tests.assessments.conftest import campaign, self_sheet, version  # noqa: F401
from tests.browser.conftest import log_in
from tests.browser.test_campaign_path import new_page


def test_stale_tab_keeps_its_input_and_can_keep_it(
    browser,
    live_server,
    campaign,  # noqa: F811
    tree,
):
    sheet = self_sheet(campaign, tree.a)
    url = f"/sheets/{sheet.pk}/"
    first, second = new_page(browser, live_server), new_page(browser, live_server)
    for tab in (first, second):
        log_in(tab, "sec_a")
        tab.goto(url)
    with first.expect_response(lambda r: "autosave" in r.url):
        first.get_by_label("1.1 得分").fill("5")
        first.get_by_label("1.1 得分").press("Tab")
    second.get_by_label("1.1 得分").fill("3")
    second.get_by_label("1.1 扣分说明").fill("党课少一次")
    second.get_by_label("1.1 扣分说明").press("Tab")
    differences = second.locator("#conflict-differences")
    expect(differences).to_contain_text("党课少一次")
    second.wait_for_timeout(1200)  # let the typing's debounced autosave finish too
    second.wait_for_load_state("networkidle")
    expect(differences).to_contain_text("1.1")
    expect(differences).not_to_contain_text("1.2")
    expect(second.get_by_label("1.1 得分")).to_have_value("3")  # nothing typed is lost
    expect(second.get_by_label("1.1 扣分说明")).to_have_value("党课少一次")
    second.get_by_role("button", name="以我的输入为准保存").click()
    expect(second.locator("#saved-at")).to_be_visible()
    entry = SheetEntry.objects.get(sheet=sheet, code="1.1")
    assert (entry.value, entry.note) == (3, "党课少一次")
    # The form now carries the fresh revision: the next autosave is not a conflict.
    with second.expect_response(lambda r: "autosave" in r.url) as response:
        second.get_by_label("1.2 得分").fill("4")
        second.get_by_label("1.2 得分").press("Tab")
    assert response.value.status == 200
