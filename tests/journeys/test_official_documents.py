"""Issue 15: reports read as official documents (GB/T 9704 where it fits a report)."""

import io
import re
from html import unescape

from pypdf import PdfReader

from .pages import download, login, open_page, pdf_text, row_link


def _pages(content: bytes) -> list[str]:
    return [p.extract_text().replace("\n", "") for p in PdfReader(io.BytesIO(content)).pages]


def _completed_sheet(client) -> str:
    """The signed Fuling sheet of 炼钢一作业区党支部 in the demo's finished campaign."""
    campaigns = open_page(client, "/campaigns/")
    detail = open_page(client, campaigns.link("2025年度党支部规范化建设考核"))
    progress = open_page(client, detail.link("进度") + "?q=炼钢一作业区")
    return row_link(progress, "炼钢一作业区党支部")


def test_fuling_branch_report_fits_three_pages_with_seal_block(client):
    login(client, "dq01")
    sheet = open_page(client, _completed_sheet(client))
    content = download(client, sheet.link("考评报告 PDF"))
    pages = _pages(content)
    assert len(pages) <= 3, len(pages)
    text = pdf_text(content)
    # 红头: the issuing organization and the 文号 (prefix〔year〕number号).
    first = pages[0]
    assert "华西能源集团党委" in first
    assert re.search(r"党考〔2025〕\d+号", first), first[:300]
    # Deductions summary comes before the item-by-item table.
    assert text.index("扣分情况") < text.index("逐项得分")
    # 落款 (issuer and date) on the last page, with the seal position.
    last = pages[-1]
    assert "华西能源集团党委" in last and re.search(r"\d{4}年\d{1,2}月\d{1,2}日", last)
    # Every one of the 55 Fuling indicator texts, read from the published rubric page.
    rubric = open_page(client, open_page(client, "/rubrics/").link("第 1 版", href="fuling-2017"))
    cells = r"<td>[\d.]+</td>\s*<td>(?:<span[^>]*>▲</span> )?([^<\n]+)"
    texts = [unescape(t).strip() for t in re.findall(cells, rubric.html)]
    assert len(texts) == 55, len(texts)
    compact = text.replace(" ", "")
    missing = [t for t in texts if t.replace(" ", "") not in compact]
    assert not missing, missing[:3]
