"""The workbench on the home page and the message centre on a phone (390 px), as the demo's
pairing helper, inspector and secretaries see them: no sideways scroll of the page, no
console error, and the header's unread count leads to the list."""

import pytest
from django.core.management import call_command

from tests.browser.conftest import log_in

DEMO_PASSWORD = "Dangjian@2026"


@pytest.mark.parametrize("who", ["bf01", "hc01", "sj01", "sj21", "dq01"])
def test_workbench_and_notices_fit_a_phone(page, who):
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)
    call_command("sweep_notices", verbosity=0)  # what the worker delivers every hour
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, who, DEMO_PASSWORD)
    assert page.locator("#workbench tbody tr").count() > 0, f"{who}: no work listed"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, who
    page.locator("#notice-bell").click()
    page.wait_for_url("**/notices/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, who
    if page.locator("#unread-count").count():
        page.get_by_role("button", name="全部标为已读").click()
        page.wait_for_url("**/notices/")
        assert page.locator("#unread-count").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, who
    assert not errors, errors
