"""批量签发 / 批量退回: the department checks several submitted sheets on the progress page
and signs them with one click, or returns them with one reason; a refused one (a sheet no
longer submitted) refuses the whole request with its name, and nothing changes."""

import re

from .pages import fill_sheet, login, my_sheets, open_page, submit

DEMO = "2026年度党支部标准化建设考评（演示）"


def _submitted(page) -> list[str]:
    return re.findall(r'name="sheet" value="(\d+)"', page.html)


def _progress(client):
    campaign = open_page(client, open_page(client, "/campaigns/").link(DEMO))
    return open_page(client, campaign.link("进度") + "?status=submitted")


def _secretaries_submit(client) -> None:
    """Three secretaries submit their self-assessment of the demo campaign."""
    for username in ("sj01", "sj02", "sj21"):
        login(client, username)
        for url, _ in my_sheets(client, "自查"):
            fill_sheet(client, url)


def test_sign_and_return_the_checked_sheets(client):
    _secretaries_submit(client)
    login(client, "dq01")
    page = _progress(client)
    chosen = _submitted(page)
    assert len(chosen) >= 2, page.text[:500]
    form = page.form(action="/sheets/bulk/")
    # Returning needs a reason: nothing happens without one.
    refused = submit(client, form, {"sheet": chosen[:1], "action": "return", "reason": " "})
    assert "退回必须写明原因" in refused and _submitted(refused) == chosen
    returned = submit(
        client, form, {"sheet": chosen[:1], "action": "return", "reason": "请补充材料"}
    )
    assert "已退回 1 份考评表" in returned
    # The returned one is no longer submitted: signing it with the rest refuses them all.
    page = _progress(client)
    rest = _submitted(page)
    assert rest == chosen[1:]
    refused = submit(
        client, page.form(action="/sheets/bulk/"), {"sheet": rest + chosen[:1], "action": "sign"}
    )
    assert "未做任何修改" in refused and _submitted(_progress(client)) == rest
    signed = submit(client, page.form(action="/sheets/bulk/"), {"sheet": rest, "action": "sign"})
    assert f"已签发 {len(rest)} 份考评表" in signed
    assert _submitted(_progress(client)) == []


def test_only_the_department_may_and_bad_ids_are_a_400(client):
    login(client, "dq01")
    action = _progress(client).form(action="/sheets/bulk/").action
    response = client.post(action, {"sheet": ["x1"], "action": "sign"})
    assert response.status_code == 400
    login(client, "kp01")
    response = client.post(action, {"sheet": ["1"], "action": "sign"})
    assert response.status_code in (403, 404)
