"""The progress page's buttons on a phone: each on one line, wrapped under the title
(they were squeezed beside it, one character a line)."""

from tests.assessments.conftest import campaign, version  # noqa: F401
from tests.browser.conftest import log_in


def test_progress_buttons_wrap_on_a_phone(page, campaign):  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "dept")
    page.goto(f"/campaigns/{campaign.pk}/progress/")
    assert not page.evaluate("document.documentElement.scrollWidth > innerWidth")
    for name in ("导出 Excel", "补发自评表", "一键催办逾期", "催办全部未提交"):
        box = page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name))
        assert box.bounding_box()["height"] < 40, name  # one line of text


def test_consequences_export_button_wraps_on_a_phone(page, campaign):  # noqa: F811
    type(campaign).objects.filter(pk=campaign.pk).update(
        name="2025年度党支部规范化建设考核（演示，已完成）"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "dept")
    for url in (f"/campaigns/{campaign.pk}/consequences/", "/rectifications/"):
        page.goto(url)
        export = page.get_by_role("link", name="导出 Excel")
        assert export.bounding_box()["height"] < 40, url
