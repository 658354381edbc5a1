"""Enter in a score box moves on to the next box: it neither asks to submit the sheet nor
loses the value typed (a dismissed submit prompt used to drop the queued autosave)."""

import re

from playwright.sync_api import expect

from assessments.models import ScoreSheet, SheetEntry
from tests.assessments.conftest import campaign, self_sheet, version  # noqa: F401
from tests.browser.conftest import log_in


def test_enter_moves_on_and_keeps_the_value(
    page,
    campaign,  # noqa: F811
    tree,
):
    sheet = self_sheet(campaign, tree.a)
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    log_in(page, "sec_a")
    page.goto(f"/sheets/{sheet.pk}/")
    first, second = page.get_by_label("1.1 得分"), page.get_by_label("1.2 得分")
    first.fill("5")
    # Moving to the next box saves the first; Enter right after typing in the second.
    with page.expect_response(lambda r: "autosave" in r.url):
        second.click()
    second.fill("4")
    second.press("Enter")
    page.wait_for_timeout(1500)
    page.wait_for_load_state("networkidle")
    assert dialogs == []  # Enter is not "submit the sheet"
    expect(page.locator("#sheet-state")).to_have_text("草稿")
    assert page.evaluate("document.activeElement.name") == "n_1.2"  # moved on
    page.goto(f"/sheets/{sheet.pk}/")
    expect(second).to_have_value("4")
    assert SheetEntry.objects.get(sheet=sheet, code="1.2").value == 4
    assert ScoreSheet.objects.get(pk=sheet.pk).status == "draft"


def test_a_score_out_of_range_is_marked_at_its_field(
    page,
    campaign,  # noqa: F811
    tree,
):
    sheet = self_sheet(campaign, tree.a)
    log_in(page, "sec_a")
    page.goto(f"/sheets/{sheet.pk}/")
    field = page.get_by_label("1.1 得分")
    for bad in ("999", "-1", "五"):
        field.fill(bad)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    field.fill("0")
    expect(field).not_to_have_attribute("aria-invalid", "true")
    expect(field).not_to_have_class(re.compile(r"\bis-invalid\b"))
