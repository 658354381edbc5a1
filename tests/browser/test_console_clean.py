"""The first page a person opens logs nothing in the console: no missing favicon (a 404
on every visit), no Content-Security-Policy refusal."""

from tests.browser.conftest import log_in


def test_login_and_home_log_no_console_error(page, secretary_a):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, "sec_a")
    page.wait_for_load_state("networkidle")
    assert errors == []
