"""A leader asks for the summary of the finished campaign: the job page offers the PDF and,
beside it, the full ranking as Excel. The PDF states how many results are ranked and
points to the attachment; the Excel holds every result in the PDF's order and rank."""

import io
import re

import openpyxl

from .pages import Page, download, login, open_page, pdf_text, rerate_form, row_link, submit

FINISHED = "2025年度党支部规范化建设考核"


def test_the_summary_comes_with_its_full_ranking_in_excel(client):
    login(client, "ld01")
    campaign = open_page(client, open_page(client, "/campaigns/").link(FINISHED))
    results = open_page(client, campaign.link("结果与台账"))
    job = submit(client, results.form(button="生成汇总报告"))
    assert "已完成" in job
    text = pdf_text(download(client, job.link("下载 PDF")))
    found = re.search(r"共\s*(\d+)\s*个党组织得出结果", text)
    assert found, text[:1500]
    ranked = int(found.group(1))
    assert "完整排名见附件" in text

    book = openpyxl.load_workbook(io.BytesIO(download(client, job.link("完整排名（Excel）"))))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == ranked and rows[0][0] == 1
    # Equal grade and score share a rank (1, 1, 3 …); the next rank counts everyone above.
    for above, (rank, *_) in enumerate(rows):
        assert rank == above + 1 or rank == rows[above - 1][0], rows[: above + 1]
    # The PDF prints each ranked organization after its rank, as the Excel ranks it.
    flat = re.sub(r"\s", "", text)
    for rank, _, name, *_ in rows[:3]:
        assert f"{rank}{name}" in flat, (rank, name)


def _ranks(html: str) -> dict[str, int]:
    """Organization code → the rank printed on its row of the results table."""
    rows = re.findall(
        r"<tr><td>(\d+)</td>.*?<div class=\"small text-muted\">([^<·]+?) ·", html, re.S
    )
    return {code.strip(): int(rank) for rank, code in rows}


def test_a_filtered_results_list_keeps_each_rank_of_the_whole_campaign(client):
    login(client, "ld01")
    campaign = open_page(client, open_page(client, "/campaigns/").link(FINISHED))
    url = open_page(client, campaign.link("结果与台账")).link("结果台账（")
    overall = _ranks(open_page(client, url).html)
    assert len(set(overall.values())) > 3, overall
    for grade in ("基本合格", "不合格"):
        shown = _ranks(open_page(client, f"{url}?grade={grade}").html)
        assert shown and all(overall[code] == rank for code, rank in shown.items()), grade
    code = max(overall, key=overall.get)  # the last of the ranking, found by its code
    assert _ranks(open_page(client, f"{url}?q={code}").html) == {code: overall[code]}
    # The Excel of a filtered list prints the same ranks.
    book = openpyxl.load_workbook(
        io.BytesIO(download(client, open_page(client, f"{url}?grade=不合格").link("导出台账")))
    )
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert rows and all(rank > 1 for rank, *_ in rows), rows[:3]


def test_a_rerating_moves_the_branch_in_the_stored_ranking(client):
    """The rank is stored when results change: a recorded 改评 re-ranks the campaign at
    once, on the page and in its Excel."""
    login(client, "dq01")
    campaign = open_page(client, open_page(client, "/campaigns/").link(FINISHED))
    url = open_page(client, campaign.link("结果与台账")).link("结果台账（")
    overall = _ranks(open_page(client, url).html)
    failing = open_page(client, f"{url}?grade=不合格")
    shown = _ranks(failing.html)
    assert len(shown) > 1, shown
    code, *others = sorted(shown)
    name = re.search(
        rf'/history/">([^<]+)</a>\s*<div class="small text-muted">{re.escape(code)} ·',
        failing.html,
    ).group(1)
    form = rerate_form(client, failing, name)
    assert "已登记改评决定" in submit(
        client, form, {"to_grade": "基本合格", "reason": "复核后改评"}
    )
    after = _ranks(open_page(client, url).html)
    # Now above every 不合格 of the campaign: those it tied with or ranked above fall back.
    assert all(after[o] > after[code] and after[o] > overall[o] - 1 for o in others)
    assert any(after[o] == overall[o] + 1 for o in others), (overall, after)
    basic = _ranks(open_page(client, f"{url}?grade=基本合格").html)
    assert basic[code] == after[code] and sorted(after.values())[0] == 1
    book = openpyxl.load_workbook(
        io.BytesIO(download(client, open_page(client, f"{url}?grade=基本合格").link("导出台账")))
    )
    ranks = {row[1]: row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert ranks.get(code) == after[code], ranks


def test_the_results_page_shows_both_ends_of_the_ranking_and_links_the_whole_of_it(
    client, monkeypatch
):
    """The results page is the campaign's summary: past twice ``RANKING_ENDS`` results it
    prints the first and the last of the ranking (as the ledger ranks them) and links the
    whole ranking, paged, on the ledger page."""
    from assessments.views import results as views

    monkeypatch.setattr(views, "RANKING_ENDS", 2)
    login(client, "ld01")
    campaign = open_page(client, open_page(client, "/campaigns/").link(FINISHED))
    summary = open_page(client, campaign.link("结果与台账"))
    ledger = open_page(client, summary.link("结果台账（"))
    whole = _ranks(ledger.html)
    assert len(whole) > 4, whole
    order = sorted(whole, key=lambda code: (whole[code], code))
    assert "排名前 2 名和后 2 名" in summary and "……" in summary
    ends = summary.html[summary.html.index('id="ranking"') :]
    shown = re.findall(r'<div class="small text-muted">([^<·]+?) ·', ends)
    # The ledger's first two and last two, in its order, each with the ledger's rank.
    assert [c.strip() for c in shown[:4]] == order[:2] + order[-2:], (shown, order)
    assert _ranks(ends) == {code: whole[code] for code in order[:2] + order[-2:]}
    # A leader reads the ranking; only the department's ledger offers 改评.
    assert "/rerate/" not in summary.html and "/rerate/" not in ledger.html


def test_a_rerating_goes_back_to_the_ledger_page_it_was_opened_from(client):
    """The 改评 page keeps the ledger's search, filters and page: its breadcrumb, its 返回
    link, a refused form and a recorded decision all lead back to the same ledger page,
    not to the first page of the whole ranking."""
    login(client, "dq01")
    campaign = open_page(client, open_page(client, "/campaigns/").link(FINISHED))
    url = open_page(client, campaign.link("结果与台账")).link("结果台账（")
    searched = open_page(client, f"{url}?q=机关&grade=基本合格")
    found = _ranks(searched.html)
    assert len(found) > 1, found
    code = sorted(found)[0]
    rerate = row_link(searched, code, href="/rerate/")
    assert "q=%E6%9C%BA%E5%85%B3" in rerate and "grade=" in rerate, rerate
    page = open_page(client, rerate)
    back = page.link("返回结果台账")
    assert back.startswith(url + "?") and "q=%E6%9C%BA%E5%85%B3" in back, back
    assert page.link("结果台账", href="/ledger/") == back
    form = page.form(button="登记改评")
    refused = client.post(rerate, {**form.fields, "to_grade": "不合格", "reason": ""})
    assert refused.status_code == 200
    assert "请选择改评等次并写明决定理由" in Page(refused)
    assert Page(refused).link("返回结果台账") == back
    done = client.post(rerate, {**form.fields, "to_grade": "不合格", "reason": "复核后改评"})
    assert done.status_code == 302 and done.url == back, done.url
    ledger = open_page(client, done.url)
    assert "已登记改评决定" in ledger
    assert set(_ranks(ledger.html)) == set(found) - {code}, ledger.text[:500]
