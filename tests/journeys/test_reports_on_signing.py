"""A signed sheet's report is issued on the task worker right after signing: the register
holds its 文号 at once, and the download is the stored file the zip of all reports reads."""

import pytest

from .pages import fill_sheet, login, my_sheets, open_page, submit


@pytest.fixture
def reports_on_signing(settings):
    settings.REPORTS_ON_SIGNING = True


def test_signing_issues_and_stores_the_report(
    client, reports_on_signing, django_capture_on_commit_callbacks
):
    login(client, "sj01")
    [(url, _), *_] = my_sheets(client, "自查")
    fill_sheet(client, url)
    login(client, "dq01")
    sheet = open_page(client, url)
    title = "炼钢一作业区党支部考评报告（自查）"
    assert title not in open_page(client, "/documents/").text
    with django_capture_on_commit_callbacks(execute=True):
        signed = submit(client, sheet.form(action="/sign/"))
    assert "已审核签发" in signed
    assert title in open_page(client, "/documents/").text  # issued by signing, not a download
    first = client.get(signed.link("考评报告 PDF"))
    second = client.get(signed.link("考评报告 PDF"))
    assert first.content == second.content and first.content.startswith(b"%PDF")
