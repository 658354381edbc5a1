"""The progress page's buttons on a phone: each on one line, wrapped under the title
(they were squeezed beside it, one character a line)."""

from tests.assessments.conftest import campaign, version  # noqa: F401
from tests.browser.conftest import log_in


def test_progress_buttons_wrap_on_a_phone(page, campaign):  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "dept")
    page.goto(f"/campaigns/{campaign.pk}/progress/")
    assert not page.evaluate("document.documentElement.scrollWidth > innerWidth")
    for name in ("导出 Excel", "补发自评表", "发送催办提醒"):
        box = page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name))
        assert box.bounding_box()["height"] < 40, name  # one line of text
