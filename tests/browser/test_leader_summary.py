"""A leader sees the charts, starts a summary, watches its progress and downloads the PDF."""

import io
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.assessments.conftest import reviewed_campaign
from tests.browser.conftest import log_in


def test_leader_downloads_the_summary(page, tree, dept_admin, leader, secretary_a, reviewer):
    scores = {tree.a: {"1.1": "5", "1.2": "5"}, tree.b: {"1.1": "3", "1.2": "3"}}
    campaign = reviewed_campaign(
        tree, dept_admin, reviewer, "xining-leader", scores, name="2026年度以评促建"
    )

    log_in(page, "leader")
    dashboard = page.locator(f"#dashboard-{campaign.pk}")
    expect(dashboard).to_contain_text("达标率 50%")
    expect(dashboard.locator("svg[aria-label='各企业达标率']")).to_be_visible()
    expect(dashboard.locator("svg[aria-label='各企业达标率']")).to_contain_text("一公司党委")
    dashboard.get_by_role("button", name="生成汇总报告（PDF）").click()
    expect(page.locator("#report-status")).to_contain_text("已完成")
    expect(page.get_by_role("progressbar", name="生成进度")).to_have_attribute(
        "aria-valuenow", "100"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    content = Path(download.value.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "2026年度以评促建汇总报告" in text and "乙党支部" in text
