"""Two branches of the same name read apart: the demo has a 机关党支部 under 华西能化公司党委
and another under 华西物流公司党委. The department finds both on 过筛子, in the problem
list and its Excel, and on the self-assessment filler page, each with its parent."""

import io

import openpyxl

from .pages import download, login, open_page, submit

NENGHUA = "机关党支部（华西能化公司党委）"
WULIU = "机关党支部（华西物流公司党委）"


def test_screening_lists_each_jiguan_branch_with_its_parent(client):
    login(client, "dq01")
    page = open_page(client, "/screenings/?q=机关")
    assert NENGHUA in page.text and WULIU in page.text


def test_the_problem_list_and_its_excel_name_the_parent(client):
    login(client, "dq01")
    screening = open_page(client, "/screenings/?q=机关")
    for name in (NENGHUA, WULIU):
        ledger = open_page(client, screening.link(name))
        form = ledger.form(action="/ledger/add/")
        submit(
            client,
            form,
            {
                "source": ledger.option(form, "source", "督导"),
                "problem": f"{name}：三会一课记录不全",
                "responsible": "支部书记",
                "deadline": "2027-03-31",
            },
        )
    page = open_page(client, "/rectifications/?q=三会一课记录不全")
    book = openpyxl.load_workbook(
        io.BytesIO(download(client, "/rectifications/?q=三会一课记录不全&format=xlsx"))
    )
    first_column = [row[0].value for row in book.worksheets[0].iter_rows(min_row=2)]
    for name in (NENGHUA, WULIU):
        assert f'<td style="min-width:7em">{name}' in page.html
        assert name in first_column
