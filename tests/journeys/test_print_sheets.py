"""Paper for on-site review: any published rubric prints as an empty A4 score sheet, and a
sheet prints with its scores and notes as they stand, with signature lines."""

from .pages import download, fill_sheet, login, my_sheets, open_page, pdf_text


def test_a_published_rubric_prints_blank(client):
    login(client, "kp01")
    rubrics = open_page(client, "/rubrics/")
    version = open_page(client, rubrics.link("第", href="fuling"))
    text = pdf_text(download(client, version.link("打印空白评分表")))
    assert "评分表" in text and "得分/评定" in text.replace(" ", "")
    assert "考评人（签字）" in text and "被考评组织：" in text


def test_a_filled_sheet_prints_its_scores(client):
    login(client, "sj01")
    [(url, name)] = my_sheets(client, "自查")[:1] or [(None, None)]
    fill_sheet(client, url, short={"1.1": "1"})
    page = open_page(client, url)
    text = pdf_text(download(client, page.link("打印评分表")))
    assert name in text and "已提交" in text and "考评人（签字）" in text
