"""Browser tests: Playwright for Python driving Debian's Chromium against the live server.

The browser is never downloaded (no `playwright install`): `make install` puts Debian's
chromium at /usr/bin/chromium and we launch that executable.
"""

import os
import shutil

import pytest
from playwright.sync_api import expect

from tests import otp
from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Assertions wait as long as page actions do (15 s, set per page): on a busy 2-core machine
# an autosave can take longer than Playwright's default 5 s to come back.
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    assert os.path.exists(executable), "Debian's chromium is missing: run `make install`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """The password, then (for a privileged role) the code the person's authenticator
    shows, enrolling it from the page's key on the first login."""
    page.goto("/accounts/login/")
    page.get_by_label("工号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    if otp.VERIFY in page.url:
        page.get_by_label("验证码").fill(otp.code_for(username))
        page.get_by_role("button", name="验证").click()
    elif otp.ENROL in page.url:
        secret = page.locator("#enrol-secret").inner_text()
        page.get_by_label("验证码").fill(otp.code_from_secret(secret))
        page.get_by_role("button", name="完成绑定").click()
        page.get_by_role("button", name="我已保存恢复码，继续").click()
    page.wait_for_url("**/")
