"""An organization's name may hold any character a sheet title or a
file name refuses (/ \\ ? * [ ] :); every export that carries the name still answers with a
workbook, its sheet titles and its file name made safe by one helper."""

import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.management import call_command

from branches.toolkit.downloads import attachment, download_name
from branches.toolkit.spreadsheets import sheet_title, write_xlsx
from tests.conftest import copy_media, shared_data
from tests.journeys.pages import login, open_page, submit

HOSTILE = "热电厂/机电\\党支部?*[一]:"


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("demo_media")
    with shared_data("demo_data", django_db_blocker, media):
        call_command("load_rubrics", verbosity=0)
        call_command("load_demo", verbosity=0)
        yield media


@pytest.fixture
def demo(demo_data, db, settings):
    copy_media(demo_data, settings.MEDIA_ROOT)


def test_sheet_title_replaces_forbidden_characters_and_cuts():
    assert sheet_title("a/b\\c?d*e[f]g:h") == "a_b_c_d_e_f_g_h"
    assert len(sheet_title("党" * 40)) == 31
    assert sheet_title("'引号'") == "引号"
    assert sheet_title("") == "Sheet"
    assert sheet_title(" : ") == "_"


def test_sheet_titles_are_unique_in_a_workbook():
    taken: set[str] = set()
    first = sheet_title("党" * 40, taken=taken)
    second = sheet_title("党" * 40, taken=taken)
    third = sheet_title("党" * 35, taken=taken)
    assert len({first, second, third}) == 3
    assert all(len(t) <= 31 for t in (first, second, third))
    assert sheet_title("SHEET", taken={"sheet"}) != "SHEET"  # Excel compares ignoring case


def test_write_xlsx_takes_any_titles():
    content = write_xlsx([(HOSTILE, ["甲"], [[1]]), (HOSTILE, ["乙"], [[2]])])
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == 2
    assert all(not set(t) & set("/\\?*[]:") for t in book.sheetnames)


def test_download_name_is_safe():
    assert download_name('a/b\\c?d*e[f]g:h<i>j|k"l.xlsx') == "a_b_c_d_e[f]g_h_i_j_k_l.xlsx"
    assert download_name("行\r\n换.pdf") == "行__换.pdf"
    long = download_name("党" * 300 + ".xlsx")
    assert long.endswith(".xlsx") and len(long) <= 120
    assert download_name("..") == "下载"
    response = attachment(b"x", filename=f"{HOSTILE}.xlsx", content_type="text/plain")
    sent = unquote(response["Content-Disposition"].split("''", 1)[1])
    assert "/" not in sent and "\\" not in sent and ":" not in sent


def _filename(response) -> str:
    return unquote(response["Content-Disposition"].split("''", 1)[1])


def test_every_export_carrying_the_name_answers_after_a_rename(client, demo):
    login(client, "dq01")
    detail_url = open_page(client, "/orgs/").link("热电厂党支部", href="/orgs/")
    pk = re.search(r"/orgs/(\d+)/", detail_url).group(1)
    edit = open_page(client, open_page(client, detail_url).link("", href=f"/orgs/{pk}/edit/"))
    renamed = submit(client, edit.form(action="/edit/"), {"name": HOSTILE})
    assert HOSTILE in renamed.text, renamed.text[:400]
    pairings = open_page(client, "/mechanisms/pairings/")
    pairing = re.search(r"/mechanisms/pairings/(\d+)/", pairings.link(HOSTILE)).group(1)
    urls = [
        f"/orgs/{pk}/members/export.xlsx",  # 党员名册
        f"/orgs/{pk}/ledger/?format=xlsx",  # 问题清单 (三个清单)
        f"/orgs/{pk}/meetings/?format=xlsx",  # 组织生活记录
        f"/mechanisms/branches/{pk}/posts.xlsx",  # 党员岗位
        f"/mechanisms/branches/{pk}/duty.xlsx",  # 履职台账
        f"/rectifications/?org={pk}&format=xlsx",  # 整改清单 of the branch
        f"/mechanisms/pairings/{pairing}/ledger.xlsx",  # 帮扶台账
        "/mechanisms/pairings/export.xlsx",
        "/orgs/export.xlsx",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        name = _filename(response)
        assert not set(name) & set('/\\?*:"<>|'), (url, name)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.sheetnames, url
    agreement = client.get(f"/mechanisms/pairings/{pairing}/agreement.pdf")  # 结对提升责任书
    assert agreement.status_code == 200 and agreement.content.startswith(b"%PDF")
    assert not set(_filename(agreement)) & set('/\\?*:"<>|')
