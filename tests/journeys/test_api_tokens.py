"""Another system gets a token, from the demo: the 安全管理员 (aq01) creates it on the
接口令牌 page (shown once), the token reads the finished campaign's results exactly as the
领导 (ld01) reads them on the results page, a token scoped to 华西能化 neither reads nor
writes anything of 华西特钢's, and a revoked token is refused in Chinese, its refused use
on the token's page, where the 审计员 (sh01) reads it too. The 系统管理员 (xt01) has no
token page. Pages and HTTP only."""

import re
from decimal import Decimal
from html import unescape

from rubrics.scoring import fmt

from .pages import login, open_page, row_link, submit

FINISHED = "2025年度党支部规范化建设考核"
KEY = re.compile(r'id="api-key" value="([^"]+)"')


def create_token(client, name: str, organization: str, scope: str) -> str:
    """aq01's steps on the token page; the key as the page shows it, once."""
    tokens = open_page(client, open_page(client, "/").link("接口令牌"))
    form = tokens.form(button="创建令牌")
    created = submit(
        client,
        form,
        {
            "name": name,
            "organization": tokens.option(form, "organization", organization),
            "scope": tokens.option(form, "scope", scope),
        },
    )
    assert "只显示这一次" in created
    return unescape(KEY.search(created.html).group(1))


def api(client, key: str, url: str, method: str = "GET", body=None):
    return getattr(client, method.lower())(
        url,
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def ledger_rows(page) -> dict[str, str]:
    """The results ledger's ranking, each row's text by the organization's code."""
    table = re.search(r'<table[^>]*id="ledger".*?</table>', page.html, re.S).group(0)
    rows = {}
    for row in re.findall(r"<tr\b.*?</tr>", table, re.S)[1:]:
        text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        code = re.search(r"([A-Z][A-Z0-9-]+) ·", text)
        if code:
            rows[code.group(1)] = text
    return rows


def test_a_token_reads_what_the_pages_show_within_its_subtree_until_revoked(client):
    # The 系统管理员 has no token page (三员分立: no way for it to hand out score reading).
    home = login(client, "xt01")
    assert "接口令牌" not in home
    assert client.get("/people/api-tokens/").status_code == 403

    login(client, "aq01")
    key = create_token(client, "上级党委报送系统", "JT 华西能源集团党委", "只读")
    scoped = create_token(client, "华西能化人力资源系统", "NH 华西能化", "同步")
    tokens = open_page(client, "/people/api-tokens/")
    assert key not in tokens.html and key[:11] in tokens.html  # the prefix only

    # The leader's results page of the finished campaign.
    login(client, "ld01")
    campaign = open_page(client, "/campaigns/").link(FINISHED)
    summary = open_page(client, open_page(client, campaign).link("结果与台账"))
    results_page = open_page(client, summary.link("结果台账（"))
    shown = ledger_rows(results_page)
    assert len(shown) == 19
    client.logout()

    # The same campaign and results through the API, with no session at all.
    campaigns = api(client, key, "/api/v1/campaigns/").json()["results"]
    (finished,) = [c for c in campaigns if c["name"].startswith(FINISHED)]
    results = api(client, key, f"/api/v1/campaigns/{finished['id']}/results/").json()
    assert results["count"] == 19
    for r in results["results"]:
        row = shown[r["organization_code"]]
        assert row.startswith(f"{r['rank']} {r['organization_name']}")
        assert f"{fmt(Decimal(r['total']))} / {fmt(Decimal(r['max_total']))}" in row
        assert r["grade"] in row
        if r["grade_reason"]:
            assert r["grade_reason"] in row
    items = api(client, key, f"/api/v1/rectifications/?campaign={finished['id']}").json()
    assert items["count"] > 0
    assert {i["status_label"] for i in items["results"]} <= {
        "整改中",
        "待销号",
        "已退回",
        "已销号",
        "已撤销",
    }
    meetings = api(client, key, "/api/v1/organizations/GT-LG-01/meetings/?year=2025")
    assert meetings.status_code == 200 and meetings.json()["organization_code"] == "GT-LG-01"

    # 华西能化's token: 华西特钢 is outside it (404, as a page answers an outsider), the
    # group's campaign too; a sync naming a parent outside it stores nothing.
    assert api(client, scoped, "/api/v1/organizations/GT/").status_code == 404
    assert api(client, scoped, "/api/v1/organizations/NH/").status_code == 200
    outside = api(
        client,
        scoped,
        "/api/v1/organizations/GT-LG-01/members/",
        "PUT",
        {"members": [{"name": "外来党员", "status": "full"}]},
    )
    assert outside.status_code == 404 and "不存在或无权查看" in outside.json()["detail"]
    moved = api(
        client,
        scoped,
        "/api/v1/organizations/",
        "PUT",
        {
            "organizations": [
                {"code": "NH-X", "name": "新支部", "kind": "branch", "parent_code": "GT"}
            ]
        },
    )
    assert moved.status_code == 400
    assert "不在您的管理范围内" in moved.json()["errors"][0]["errors"][0]
    assert api(client, scoped, "/api/v1/organizations/NH-X/").status_code == 404
    reads_scores = api(client, scoped, f"/api/v1/campaigns/{finished['id']}/results/")
    assert reads_scores.status_code == 404  # a sync token reads no results at all
    assert api(client, scoped, "/api/v1/campaigns/").status_code == 403

    # aq01 revokes the first token: refused from then on, and the page shows both.
    login(client, "aq01")
    tokens = open_page(client, "/people/api-tokens/")
    detail = open_page(client, row_link(tokens, "上级党委报送系统"))
    revoked = submit(client, detail.form(button="吊销令牌"))
    assert "已吊销" in revoked
    client.logout()
    refused = api(client, key, "/api/v1/campaigns/")
    assert (
        refused.status_code == 401
        and refused.json()["detail"] == "该接口令牌已被吊销，不能再使用。"
    )
    login(client, "aq01")
    uses = open_page(client, revoked.url)
    assert uses.row("/api/v1/campaigns/", "401") and uses.row("/results/", "200")

    # The 审计员 reads the tokens and their uses, and can change nothing.
    home = login(client, "sh01")
    tokens = open_page(client, home.link("接口令牌"))
    assert "新建令牌" not in tokens and "已吊销" in tokens.row("上级党委报送系统")
    audited = open_page(client, row_link(tokens, "上级党委报送系统"))
    assert audited.row("/api/v1/campaigns/", "401")
    assert not any("吊销令牌" in b for f in audited.forms for b in f.buttons)
    assert client.post(revoked.url + "revoke/").status_code == 403
