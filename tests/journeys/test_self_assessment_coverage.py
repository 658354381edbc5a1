"""000: "自查自评覆盖所有党总支和党支部". An object without a secretary account gets no
self-assessment sheet when the campaign opens; the campaign page lists every such object
and why, and the department names someone with an account to fill it. Pages only, from
the demo."""

import re

from .pages import fill_sheet, login, my_sheets, open_page, submit

DEMO = "2026年度党支部标准化建设考评（演示）"


def _gaps(page) -> list[str]:
    """The objects the campaign page lists without a self-assessment sheet."""
    if 'id="self-gaps"' not in page.html:
        return []
    block = page.html.split('id="self-gaps"', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_self_assessment_covers_every_general_branch_and_branch(client):
    """ "自查自评覆盖所有党总支和党支部": the branches the demo campaign left without a
    sheet are listed with the reason, and one of them is given to a named person, who
    fills and submits it."""
    login(client, "dq01")
    campaign = open_page(client, "/campaigns/").link(DEMO)
    detail = open_page(client, campaign)
    assert "尚无自评表的组织" in detail
    gaps = _gaps(detail)
    assert len(gaps) >= 12
    row = next(g for g in gaps if g.startswith("炼钢二作业区党支部"))
    assert "没有支部书记账号" in row
    assert not any(g.startswith("炼钢一作业区党支部") for g in gaps)  # sj01 has hers
    assert not any(g.split("（")[0].split(" ·")[0].endswith("党委") for g in gaps)  # no 支部书记

    # The department names 孙志华 (bf03, an account with no role) to fill it.
    page = open_page(client, detail.link("为“自查”指定填表人"))
    assert "炼钢二作业区党支部" in page.row("炼钢二作业区党支部", "没有支部书记账号")
    form = page.form(button="指定")
    done = submit(
        client,
        form,
        {
            "organization": page.option(form, "organization", "炼钢二作业区党支部"),
            "filler": page.option(form, "filler", "孙志华（bf03）"),
        },
    )
    assert "已指定 孙志华 填写炼钢二作业区党支部的“自查”表" in done
    assert not any(g.startswith("炼钢二作业区党支部") for g in _gaps(done))
    assert len(_gaps(done)) == len(gaps) - 1

    # Naming someone for it again is refused, with the reason; so is a stranger's id.
    again = submit(
        client,
        form,
        {
            "organization": page.option(form, "organization", "炼钢二作业区党支部"),
            "filler": page.option(form, "filler", "孙志华（bf03）"),
        },
    )
    assert "选择一个有效的选项" in again  # it is no longer offered
    bad = client.post(page.url, {"organization": "99999999999999999999", "filler": "x"})
    assert bad.status_code == 200 and "选择一个有效的选项" in bad.content.decode()

    # 孙志华 finds the sheet on her home page, fills and submits it.
    login(client, "bf03")
    [(sheet, name)] = my_sheets(client, "自查")
    assert name == "炼钢二作业区党支部"
    assert "已提交" in fill_sheet(client, sheet)


def test_a_secretary_cannot_name_a_filler(client):
    login(client, "dq01")
    campaign = open_page(client, "/campaigns/").link(DEMO)
    url = open_page(client, campaign).link("为“自查”指定填表人")
    login(client, "sj01")
    assert client.get(url).status_code == 403  # she sees the campaign, may not manage it
    login(client, "hc01")
    assert client.get(url).status_code == 404  # no sheet in it, no scope over it
