"""The pages that came with the working mechanisms, organizational-life records and the
problem ledger, on a phone (390 px): none scrolls sideways as a whole page; wide tables
scroll inside their own box. Walked as the demo's roles use them."""

import re

import pytest
from django.core.management import call_command

from tests.browser.conftest import log_in

DEMO_PASSWORD = "Dangjian@2026"

# Per walk (a login, and what the walk is for after a space): a page by its address, or
# (a pattern) the first link on the page before it.
WALKS = {
    "sj21": ["/mechanisms/", re.compile(r"/mechanisms/branches/\d+/posts/")],
    "dq01": ["/mechanisms/board/", "/mechanisms/pairings/", "/meetings/", "/screenings/"],
    # Writing a rubric of the organization's own (the shipped Xining rubric is a draft).
    "dq01 rubrics": [
        "/rubrics/",
        "/rubrics/new/",
        "/rubrics/xining-2021/v1/",
        "/rubrics/xining-2021/v1/sections/new/",
        "/rubrics/xining-2021/v1/items/new/",
        "/rubrics/xining-2021/v1/grades/",
        "/rubrics/xining-2021/v1/import/",
    ],
    "sj22": ["/", re.compile(r"/orgs/\d+/"), re.compile(r"/orgs/\d+/members/")],
    "hc01": ["/mechanisms/inspections/", re.compile(r"/mechanisms/inspections/\d+/")],
}

# Pages whose list has a search box beside its filters.
SEARCHED = {"/meetings/", "/screenings/"}


@pytest.mark.parametrize("who", sorted(WALKS))
def test_new_pages_never_scroll_sideways_on_a_phone(page, who):
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, who.split()[0], DEMO_PASSWORD)
    for step in WALKS[who]:
        if isinstance(step, str):
            page.goto(step)
        else:
            href = next(
                h
                for h in page.eval_on_selector_all("a[href]", "a => a.map(e => e.pathname)")
                if step.fullmatch(h)
            )
            page.goto(href)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{who} {page.url}: {width}px wide"
        if step in SEARCHED:  # the search box keeps room to read what is typed
            box = page.locator("main input[aria-label=搜索]").bounding_box()
            assert box and box["width"] >= 160, f"{who} {page.url}: search box {box}"
