"""The header's search and the help on a phone (390 px), as the department uses them: the
search box in the folded menu, the results in groups and a group's own pages, the 帮助
box above a page and the help page with the user guide; no page scrolls sideways and
the console stays clean."""

from pathlib import Path

from django.core.management import call_command

from tests.browser.conftest import log_in

DEMO_PASSWORD = "Dangjian@2026"
GUIDE = Path(__file__).resolve().parent.parent / "assessments" / "user_guide_sample.md"


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url}: {width}px wide"


def _open_menu(page) -> None:
    """Open the folded menu and wait until it has finished opening (a click during the
    collapse's animation may land on nothing)."""
    page.get_by_role("button", name="菜单").click()
    page.locator("#nav.collapse.show").wait_for()
    page.wait_for_function("!document.querySelector('#nav.collapsing')")


def test_search_and_help_fit_a_phone(page, monkeypatch):
    monkeypatch.setattr("assessments.help.selectors.GUIDE", GUIDE)
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "dq01", DEMO_PASSWORD)

    _open_menu(page)
    box = page.locator("#nav-search input[name=q]")
    box.fill("党支部")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("#results-orgs .list-group-item").count() > 0
    assert page.locator("#results-problems .list-group-item").count() == 20
    _fits(page)

    page.locator("#results-problems").get_by_role("link", name="查看全部").click()
    page.wait_for_url("**kind=problems*")
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**page=2*")
    assert page.locator("#results-problems .list-group-item").count() == 20
    _fits(page)

    # The 帮助 box above the page opens in place and still fits.
    page.locator("#page-help summary").click()
    assert page.locator("#page-help .page-help-body").is_visible()
    _fits(page)

    _open_menu(page)
    page.locator("#nav-help-menu").click()
    page.wait_for_url("**/help/")
    page.get_by_role("link", name="全部").click()
    page.wait_for_url("**/help/?role=all")
    assert page.locator("#guide table").count() == 1
    _fits(page)
    assert not errors, errors
