"""Closed means closed: a campaign's objects are fixed when it opens. Organizations the
department creates on the tree page or imports from Excel afterwards never enter the
finished 2025 campaign: its results page, campaign page, the leader's home page, the
Excel ledger and both PDFs read the same figures before and after, and it never turns
暂定. The campaign still running (opened before the new organizations) keeps its list too.
"""

import io
import re

import openpyxl

from .pages import download, login, open_page, report, submit, upload

FINISHED = "2025年度党支部规范化建设考核"
RUNNING = "2026年度党支部标准化建设考评"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
# What differs between two PDFs of the same figures: the time they were made and their 文号.
STAMPS = re.compile(r"生成时间：[\d年月日 :]+|〔\d{4}〕\d+号")


def _campaign(client, name: str) -> str:
    return open_page(client, "/campaigns/").link(name)


def _workbook(content: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def _figures(client) -> dict:
    """Everything the department and a leader read about the finished campaign."""
    login(client, "dq01")
    detail = open_page(client, _campaign(client, FINISHED))
    results = open_page(client, detail.link("结果与台账"))
    items = open_page(client, results.link("整改清单", href="campaign="))
    figures = {
        "detail": detail.text,
        "results": results.text,
        "rectifications": items.text,
        "excel": _workbook(download(client, results.link("导出台账"))),
        "summary": STAMPS.sub("", report(client, results, "生成汇总报告")),
        "evaluation": STAMPS.sub("", report(client, results, "生成总体评估报告")),
        "running": open_page(client, _campaign(client, RUNNING)).text,
    }
    home = login(client, "ld01")
    card = re.search(
        r'<div class="card mt-3" id="dashboard-\d+">.*?</svg></div>\s*</div>', home.html, re.S
    )
    assert card and FINISHED in card.group(0)
    figures["home"] = CSRF.sub("", card.group(0))
    return figures


def _first_difference(before, after) -> str:
    """Where two readings first differ ("" when they are the same)."""
    if before == after:
        return ""
    before, after = str(before), str(after)
    at = next(
        (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), len(before)
    )
    return f"…{before[max(at - 60, 0) : at + 60]}… → …{after[max(at - 60, 0) : at + 60]}…"


def _import_organizations(client) -> None:
    """The department fills the import template with a new 党委 and two branches."""
    tree = open_page(client, "/orgs/")
    page = open_page(client, tree.link("导入 Excel"))
    template = openpyxl.load_workbook(io.BytesIO(download(client, page.link("导入模板"))))
    headers = [c.value for c in template.worksheets[0][1]]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in (
        {"编码": "JX", "名称": "华西建设公司党委", "类型": "党委", "上级编码": "JT"},
        {"编码": "JX-01", "名称": "项目一部党支部", "类型": "党支部", "上级编码": "JX"},
        {"编码": "NH-WZ", "名称": "物资供应党支部", "类型": "党支部", "上级编码": "NH"},
    ):
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    preview = upload(client, page.forms[-1], out.getvalue(), "组织架构.xlsx")
    assert "确认导入" in preview.html, preview.text[:500]
    done = submit(client, preview.form(button="确认导入"))
    assert "导入完成：新增 3 行" in done, done.text[:500]


def test_new_and_imported_organizations_leave_a_closed_campaign_as_it_was(client):
    before = _figures(client)
    assert "暂定" not in before["results"]
    assert "19 / 19" in before["results"]  # 已出结果 / 考评对象
    assert "19 个考评对象" in before["detail"] and "19 个考评对象" in before["running"]

    login(client, "dq01")
    page = open_page(client, open_page(client, "/orgs/").link("新增组织"))
    form = page.form(button="保存")
    created = submit(
        client,
        form,
        {
            "code": "GT-LG-04",
            "name": "炼钢四作业区党支部",
            "kind": page.option(form, "kind", "党支部"),
            "parent": page.option(form, "parent", "GT-LG "),
        },
    )
    assert "已新增“炼钢四作业区党支部”" in created, created.text[:500]
    _import_organizations(client)
    tree = open_page(client, "/orgs/")
    assert "炼钢四作业区党支部" in tree and "项目一部党支部" in tree and "物资供应党支部" in tree

    after = _figures(client)
    changed = {name: _first_difference(before[name], after[name]) for name in before}
    assert not {name: where for name, where in changed.items() if where}, changed
    # The new organizations are nobody's objects in campaigns opened before them.
    for text in (after["detail"], after["running"], after["results"]):
        assert "炼钢四作业区党支部" not in text and "华西建设公司党委" not in text
        assert "物资供应党支部" not in text


def test_a_closed_campaign_is_not_consolidated_again(client):
    """Its results page offers no 汇总考评结果, and a post from a page left open before it
    closed is refused with the reason: its results stay what they were."""
    login(client, "dq01")
    results_url = open_page(client, _campaign(client, FINISHED)).link("结果与台账")
    results = open_page(client, results_url)
    assert not any("汇总考评结果" in b for f in results.forms for b in f.buttons)
    consolidate = results_url.replace("/results/", "/consolidate/")
    assert consolidate != results_url
    response = client.post(consolidate, follow=True)
    assert response.status_code == 200
    assert "考评活动已结束，结果已经固定，不能重新汇总。" in response.content.decode()
    assert open_page(client, results_url).text == results.text
