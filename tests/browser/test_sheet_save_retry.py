"""A save that fails (the network drops, then the server answers 503 during a database
outage): the bar says so, the typed values stay, and the save is tried again with back-off
until it succeeds and the bar says 已保存; the value is stored (read back on reload)."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from assessments.models import ScoreSheet, SheetEntry
from rubrics.models import RubricVersion
from tests.assessments.conftest import campaign, self_sheet, version  # noqa: F401
from tests.browser.conftest import log_in
from tests.browser.test_campaign_path import new_page

UNAVAILABLE = "<!doctype html><title>服务暂时不可用</title><h1>服务暂时不可用，请稍后重试</h1>"


def test_failed_saves_are_shown_kept_and_retried_until_saved(
    browser,
    live_server,
    campaign,  # noqa: F811
    tree,
):
    sheet = self_sheet(campaign, tree.a)
    page = new_page(browser, live_server)
    log_in(page, "sec_a")
    page.goto(f"/sheets/{sheet.pk}/")
    page.evaluate(
        """window.barTexts = [];
        new MutationObserver(() => barTexts.push(document.getElementById("bar-state").textContent))
          .observe(document.body, {subtree: true, childList: true, characterData: true});"""
    )
    outcomes: list[str] = []
    server = {"back": False}

    def outage(route):
        if server["back"]:
            outcomes.append("passed")
            route.continue_()
        elif not outcomes:
            outcomes.append("aborted")
            route.abort("internetdisconnected")  # the network drops
        else:
            outcomes.append("503")  # then the server answers, but its database is down
            route.fulfill(status=503, body=UNAVAILABLE, content_type="text/html")

    page.route("**/autosave/", outage)
    page.get_by_label("1.1 得分").fill("4")
    page.get_by_label("1.1 扣分说明").fill("记录不全")
    page.get_by_label("1.1 扣分说明").press("Tab")

    state = page.locator("#bar-state")
    failure = page.locator("#save-failure")
    message = "保存失败：服务暂时不可用（503）。您的输入已保留"
    expect(failure).to_contain_text(message, timeout=30_000)
    expect(state).to_contain_text("保存失败")
    expect(page.get_by_label("1.1 得分")).to_have_value("4")  # nothing typed is lost
    expect(page.get_by_label("1.1 扣分说明")).to_have_value("记录不全")
    assert not SheetEntry.objects.filter(sheet=sheet, code="1.1").exists()
    shown = page.evaluate("barTexts")
    assert any(text.startswith("保存失败：网络中断") for text in shown), shown

    server["back"] = True
    expect(state).to_have_text(re.compile(r"已保存 \d\d:\d\d:\d\d"), timeout=40_000)
    expect(failure).to_have_count(0)
    assert outcomes[0] == "aborted" and "503" in outcomes and outcomes[-1] == "passed"
    entry = SheetEntry.objects.get(sheet=sheet, code="1.1")
    assert (entry.value, entry.note) == (4, "记录不全")

    page.unroute("**/autosave/")
    page.reload()
    expect(page.get_by_label("1.1 得分")).to_have_value("4")
    expect(page.get_by_label("1.1 扣分说明")).to_have_value("记录不全")


def test_a_score_typed_while_the_page_is_still_loading_is_saved(
    browser,
    live_server,
    campaign,  # noqa: F811
    tree,
):
    """On a slow line a person may type before the page's scripts have run: nothing heard
    that typing, so the score was never saved (nor counted in the total)."""
    sheet = self_sheet(campaign, tree.a)
    page = new_page(browser, live_server)
    log_in(page, "sec_a")
    held = []
    page.route("**/js/sheet*.js", lambda route: held.append(route))  # held on the line
    page.goto(f"/sheets/{sheet.pk}/", wait_until="commit")
    page.get_by_label("1.1 得分").fill("4")
    while not held:  # the page asks for its script (and waits for it)
        page.wait_for_timeout(50)
    held[0].continue_()

    expect(page.locator("#running-total")).to_have_text("4")
    expect(page.locator("#bar-state")).to_have_text(re.compile(r"已保存 \d\d:\d\d:\d\d"))
    assert SheetEntry.objects.get(sheet=sheet, code="1.1").value == 4


class TestAChecklistSheet:
    """The suite's open campaign (self sheets issued), on the shipped 鹤岗 checklist."""

    @pytest.fixture
    def version(self, db):
        call_command("load_rubrics", verbosity=0)
        return RubricVersion.objects.get(rubric__code="hegang-2020")

    def test_untouched_is_not_saved_on_opening(
        self,
        browser,
        live_server,
        campaign,  # noqa: F811
        tree,
    ):
        """A checklist item not yet answered is a select showing its empty first choice:
        that is what the page was served with, not something typed, so opening the sheet
        posts nothing (a save would raise its revision and put any other open copy in
        conflict)."""
        sheet = self_sheet(campaign, tree.a)
        page = new_page(browser, live_server)
        log_in(page, "sec_a")
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.url) if "autosave" in r.url else None)
        page.goto(f"/sheets/{sheet.pk}/")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)  # past the autosave's pause
        assert posted == []
        assert ScoreSheet.objects.get(pk=sheet.pk).revision == sheet.revision
        expect(page.locator("#bar-state")).to_have_text("已保存")
