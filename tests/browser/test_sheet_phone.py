"""A score sheet on a phone: each indicator reads as a block (text across the screen,
the score and the note labelled below it), not six squeezed columns."""

from assessments.models import SheetStatus
from tests.assessments.conftest import campaign, self_sheet, version  # noqa: F401
from tests.browser.conftest import log_in


def test_sheet_rows_stack_on_a_phone(page, campaign, tree):  # noqa: F811
    sheet = self_sheet(campaign, tree.a)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "sec_a")
    page.goto(f"/sheets/{sheet.pk}/")
    assert sheet.status == SheetStatus.DRAFT
    assert not page.evaluate("document.documentElement.scrollWidth > innerWidth")
    text = page.locator("#row-1\\.1 td").nth(1)
    assert text.bounding_box()["width"] > 390 / 2  # it was a column of two characters
    score = page.get_by_label("1.1 得分").bounding_box()
    note = page.get_by_label("1.1 扣分说明").bounding_box()
    assert note["width"] > 390 / 2 and note["y"] > score["y"]  # one under the other
    labels = page.locator("#row-1\\.1 td[data-label]").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"得分"', '"扣分说明"']
    # On a wide screen it stays a table.
    page.set_viewport_size({"width": 1440, "height": 900})
    assert page.locator("#row-1\\.1 td").nth(1).bounding_box()["width"] < 1440 / 2
    assert page.locator(".sheet-table thead").is_visible()
