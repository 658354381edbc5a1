"""Everyone's daily work on a phone (390 px), walked in one browser as the demo's roles:
each home page's workbench, the message centre, the search and the help, the reviewer's
campaigns, the inspector's and the pairing helper's pages, the offline score sheet's
upload preview, the department's bulk sign-off, the rubric editor's pages, the printed
sheets. No page scrolls sideways (document.scrollWidth <= innerWidth + 1) and the console
stays clean on every one."""

import io

import openpyxl
from django.core.management import call_command

from tests.browser.conftest import log_in

DEMO_PASSWORD = "Dangjian@2026"
PHONE = {"width": 390, "height": 844}


class Walk:
    """Opens pages as one person after another and checks each as it goes."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.seen: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def as_(self, username: str) -> None:
        self.page.context.clear_cookies()
        log_in(self.page, username, DEMO_PASSWORD)
        self.check()

    def open(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response)
        self.check()

    def follow(self, name: str) -> None:
        """Click the first link named ``name`` and check where it leads."""
        self.page.get_by_role("link", name=name).first.click()
        self.page.wait_for_load_state()
        self.check()

    def check(self) -> None:
        url = self.page.url
        over = self.page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert over <= 1, f"{url}: {over} px wider than the screen"
        assert not self.errors, (url, self.errors)
        self.seen.append(url)

    def pdf(self, name: str) -> None:
        """A printed sheet is a PDF: the link on the page answers one."""
        href = self.page.get_by_role("link", name=name).first.get_attribute("href")
        response = self.page.request.get(href)
        assert response.ok and response.body().startswith(b"%PDF"), (href, response.status)


def _filled_offline(content: bytes) -> bytes:
    """What a secretary does in Excel: full points in every scored row, no veto."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    for row in book["评分表"].iter_rows(min_row=2):
        if row[5].value == "反向（否决）指标":
            row[6].value = "否"
        elif isinstance(row[2].value, int | float):
            row[6].value = row[2].value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_daily_work_fits_a_phone_with_a_clean_console(page):
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)
    call_command("sweep_notices", verbosity=0)  # what the worker delivers every hour
    page.set_viewport_size(PHONE)
    walk = Walk(page)

    # A secretary: the workbench, the message centre, her sheet printed and filled
    # offline: the upload's preview, confirmed, then submitted.
    walk.as_("sj01")
    assert page.locator("#workbench tbody tr").count() > 0
    walk.open("/notices/")
    walk.open("/search/?q=炼钢")
    walk.open("/help/")
    walk.open("/")
    page.locator("#workbench a[href^='/sheets/']").first.click()
    page.wait_for_load_state()
    walk.check()
    sheet = page.url
    walk.pdf("打印评分表")
    href = page.get_by_role("link", name="下载离线评分表").get_attribute("href")
    offline = page.request.get(href).body()
    page.locator("form[action$='/upload/'] input[type=file]").set_input_files(
        {
            "name": "评分表.xlsx",
            "mimeType": "application/octet-stream",
            "buffer": _filled_offline(offline),
        }
    )
    page.get_by_role("button", name="上传填好的评分表").click()
    page.wait_for_url("**/imports/**")
    walk.check()  # the preview: each line the file changes, nothing stored yet
    assert "空 →" in page.content()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(sheet)
    walk.check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#submit-sheet").click()
    page.get_by_text("已提交").first.wait_for()
    walk.open(sheet)

    # The department signs it with the bulk sign-off, and opens the rubric editor.
    walk.as_("dq01")
    walk.open("/campaigns/")
    walk.follow("2026年度党支部标准化建设考评（演示）")
    walk.follow("进度")
    walk.open(page.url + "?status=submitted")
    page.locator("#sheets input[name=sheet]").first.check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="签发所选").click()
    page.wait_for_load_state()
    walk.check()
    assert page.get_by_text("已签发 1 份考评表。").count() == 1
    walk.open("/rubrics/fuling-2017/v2/")
    walk.pdf("打印空白评分表")
    for url in (
        "/rubrics/",
        "/rubrics/new/",
        "/rubrics/xining-2021/v1/",
        "/rubrics/xining-2021/v1/sections/new/",
        "/rubrics/xining-2021/v1/items/new/",
        "/rubrics/xining-2021/v1/grades/",
        "/rubrics/xining-2021/v1/import/",
    ):
        walk.open(url)

    # The reviewer: his campaigns from the header, the campaign, one of his sheets.
    walk.as_("kp01")
    walk.open("/campaigns/")
    walk.follow("2026年度党支部标准化建设考评（演示）")
    page.locator("#own-sheets a[href^='/sheets/']").first.click()
    page.wait_for_load_state()
    walk.check()

    # The inspector and the pairing helper: their work without a role.
    walk.as_("hc01")
    walk.open("/mechanisms/inspections/")
    walk.as_("bf01")
    walk.open("/mechanisms/pairings/")
    walk.open("/notices/")

    # The leader reads; the message centre and the search as he sees them.
    walk.as_("ld01")
    walk.open("/notices/")
    walk.open("/search/?q=党支部")
    assert len(walk.seen) >= 30, walk.seen
