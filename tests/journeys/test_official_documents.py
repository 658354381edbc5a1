"""Reports read as official documents (GB/T 9704 where it fits a report)."""

import io
import re
from html import unescape

from pypdf import PdfReader

from .pages import download, login, my_sheets, open_page, pdf_text, report, row_link


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
    # GB/T 9704's other elements: 发文机关标志, 主送机关, and the 版记's 印发 line.
    assert first.startswith("华西能源集团党委文件") and "炼钢一作业区党支部：" in first
    assert re.search(r"华西能源集团党委\s*\d{4}年\d{1,2}月\d{1,2}日印发", last), last[-200:]
    # Every one of the 55 Fuling indicator texts, read from the published rubric page.
    rubric = open_page(client, open_page(client, "/rubrics/").link("第 2 版", href="fuling-2017"))
    cells = r"<td>[\d.]+</td>\s*<td>(?:<span[^>]*>▲</span> )?([^<\n]+)"
    texts = [unescape(t).strip() for t in re.findall(cells, rubric.html)]
    assert len(texts) == 55, len(texts)
    compact = text.replace(" ", "")
    missing = [t for t in texts if t.replace(" ", "") not in compact]
    assert not missing, missing[:3]


def test_leader_summary_keeps_charts_and_the_capped_grade_reason_under_a_red_header(client):
    home = login(client, "ld01")
    text = report(client, home, "生成汇总报告")
    # The summary's own 文号 series (代字 汇), from the document register.
    # 发文机关标志 (…文件) with the 文号 under it, then the 主送机关.
    assert re.match(r"华西能源集团党委文件党考汇〔2025〕\d+号", text), text[:80]
    assert "各基层党组织：" in text
    # The charts, as drawn: the rate by enterprise says what it counts (涪陵: 合格+基本合格).
    assert "各企业合格+基本合格率" in text and "等次分布" in text
    assert "等次说明" in text and "▲项" in text and "未达标：等次不能为“合格”" in text
    assert re.search(r"华西能源集团党委\d{4}年\d{1,2}月\d{1,2}日", text)  # 落款


def test_issuer_and_number_prefix_are_set_once_per_deployment(client, settings):
    settings.REPORT_ISSUER = "中共华西能源集团委员会"
    settings.REPORT_DOC_PREFIX = "华能党"
    settings.REPORT_RED_HEADER = False
    login(client, "dq01")
    sheet = open_page(client, _completed_sheet(client))
    content = download(client, sheet.link("考评报告 PDF"))
    pages = _pages(content)
    # No 红头: the page opens with the 文号; the 落款 names the configured issuer.
    assert re.match(r"华能党〔2025〕\d+号", pages[0]), pages[0][:80]
    assert "中共华西能源集团委员会" in pages[-1]
    assert "华西能源集团党委华能党" not in pages[0]
    assert "文件" not in pages[0][:20]  # no 红头: no 发文机关标志 either
    # An unsigned sheet's report is not an issued document: the 落款, but no 文号.
    login(client, "sj01")
    (url, _), *_ = my_sheets(client, "自查")
    draft = _pages(download(client, open_page(client, url).link("考评报告 PDF")))
    assert "本表尚未审核签发" in draft[0] and "华能党〔" not in "".join(draft)
    assert "中共华西能源集团委员会" in draft[-1]
