"""A document register. Every issued PDF takes the next 文号 of its
issuer, kind and year, prints it, and the register page (the department's and the
auditor's) lists it; a stored report downloaded again keeps its number."""

import re

from .pages import Page, download, login, open_page, pdf_text, report, row_link, xlsx_rows

NUMBER = re.compile(r"党考[汇总]?〔\d{4}〕\d+号")
COMPLETED = "2025年度党支部规范化建设考核"


def _number(text: str) -> str:
    found = NUMBER.search(text)
    assert found, text[:200]
    return found.group()


def _results(client) -> Page:
    campaigns = open_page(client, "/campaigns/")
    return open_page(client, open_page(client, campaigns.link(COMPLETED)).link("结果与台账"))


def _branch_sheet(client, branch: str) -> Page:
    """The signed sheet of ``branch`` in the demo's finished campaign, from its progress."""
    campaigns = open_page(client, "/campaigns/")
    detail = open_page(client, campaigns.link(COMPLETED))
    progress = open_page(client, detail.link("进度") + f"?q={branch}")
    return open_page(client, row_link(progress, branch))


def _register(client, home: Page, **query) -> Page:
    """The register as the nav bar opens it, searched with ``query``."""
    url = home.link("发文登记")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return open_page(client, url)


def test_summary_evaluation_and_branch_reports_get_distinct_numbers_from_the_register(client):
    home = login(client, "ld01")
    summary = _number(report(client, home, "生成汇总报告"))
    home = login(client, "dq01")
    evaluation = _number(report(client, _results(client), "生成总体评估报告"))
    first = _number(
        pdf_text(download(client, _branch_sheet(client, "炼钢一作业区党支部").link("考评报告 PDF")))
    )
    second = _number(
        pdf_text(download(client, _branch_sheet(client, "炼钢二作业区党支部").link("考评报告 PDF")))
    )
    # One 文号 per document: each kind its own series, each report the next number.
    assert len({summary, evaluation, first, second}) == 4, (summary, evaluation, first, second)
    assert summary == "党考汇〔2025〕1号" and evaluation == "党考总〔2025〕1号"
    assert first == "党考〔2025〕1号" and second == "党考〔2025〕2号"
    # The register lists each number with what it was given to, who and which kind.
    page = _register(client, home)
    assert "领导汇总报告" in page.row(summary, "汇总报告", "周建国")
    assert "总体评估报告" in page.row(evaluation, "王立新")
    assert "支部考评报告" in page.row(first, "炼钢一作业区党支部", "王立新")
    assert "支部考评报告" in page.row(second, "炼钢二作业区党支部")


def test_a_stored_branch_report_keeps_its_number_on_every_download(client):
    home = login(client, "dq01")
    url = _branch_sheet(client, "炼钢一作业区党支部").link("考评报告 PDF")
    content = download(client, url)
    number = _number(pdf_text(content))
    assert download(client, url) == content  # the stored file, byte for byte
    login(client, "sj01")  # the branch's secretary reads the same issued report
    assert download(client, url) == content
    home = login(client, "dq01")
    page = _register(client, home, q=number)
    assert "共 1 条" in page.text and "炼钢一作业区党支部" in page.row(number)


def test_a_summary_generated_again_keeps_its_number_while_nothing_changed(client):
    home = login(client, "ld01")
    first = _number(report(client, home, "生成汇总报告"))
    again = _number(report(client, open_page(client, "/"), "生成汇总报告"))
    assert again == first
    page = _register(client, login(client, "dq01"), kind="summary")
    assert "共 1 条" in page.text and page.row(first, "领导汇总报告")


def test_the_auditor_searches_and_exports_the_register_and_each_number_is_audited(client):
    login(client, "dq01")
    number = _number(
        pdf_text(download(client, _branch_sheet(client, "连铸作业区党支部").link("考评报告 PDF")))
    )
    home = login(client, "sh01")
    page = _register(client, home, q="连铸", year=2025, kind="branch")
    assert page.row(number, "连铸作业区党支部", "支部考评报告", "华西能源集团党委")
    assert "没有符合条件的发文" in _register(client, home, q="连铸", year=2024)
    assert "没有符合条件的发文" in _register(client, home, q="连铸", kind="summary")
    # The Excel export holds what the page shows, with the page's filters.
    rows = xlsx_rows(download(client, page.link("导出 Excel")))
    assert rows[0][:3] == ("文号", "发文机关", "文种")
    assert [r[0] for r in rows[1:]] == [number]
    assert rows[1][1:5] == (
        "华西能源集团党委",
        "支部考评报告",
        2025,
        int(number.split("〕")[1][:-1]),
    )
    assert rows[1][5].startswith("连铸作业区党支部") and rows[1][7] == "王立新"
    # Bounded filters: a year or kind that is not one is a 400 with a Chinese reason.
    for bad in ("year=20251", "year=abc", "kind=memo"):
        response = client.get(home.link("发文登记") + "?" + bad)
        assert response.status_code == 400, bad
        assert re.search("参数“year”|没有这种文种", response.content.decode()), bad
    # Each number given is in the audit trail: who took it, for which document.
    audit = open_page(client, home.link("审计记录") + f"?q={number}")
    assert "发文登记" in audit.row(number, "王立新")
    # Others read no register: a leader is refused.
    login(client, "ld01")
    assert client.get(page.url).status_code == 403
