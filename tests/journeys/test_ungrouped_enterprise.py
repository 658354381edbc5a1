"""An enterprise outside every 互评组 is named, never skipped silently: the department adds
a new 党委 with a branch, plans a 西宁 campaign over the group, and the campaign page says
that the 交叉互评 will not reach that enterprise's branches, with a link to the groups."""

from datetime import date

from tests.conftest import xining_start

from .pages import create_campaign, login, open_page, submit


def _new_org(client, code: str, name: str, kind: str, parent: str) -> None:
    page = open_page(client, "/orgs/new/")
    form = page.form(button="保存")
    data = {
        "code": code,
        "name": name,
        "kind": page.option(form, "kind", kind),
        "parent": page.option(form, "parent", parent),
    }
    created = submit(client, form, data, page=page)
    assert name in created.text, created.text[:500]


def test_an_enterprise_outside_every_group_is_named_on_the_campaign_page(client):
    login(client, "dq01")
    rubrics = open_page(client, "/rubrics/")
    version = open_page(client, rubrics.link("第 1 版", href="xining"))
    submit(client, version.form(action="/publish/"), {"confirm": "on"})
    _new_org(client, "XN", "华西新能源公司党委", "党委", "华西能源集团党委")
    _new_org(client, "XN-01", "光伏电站党支部", "党支部", "华西新能源公司党委")
    detail = create_campaign(
        client,
        name="2026年度西宁以评促建考评",
        version="以评促建",
        scope="JT",
        template="西宁",
        year="2026",
        start=xining_start(date.today()).isoformat(),
    )
    assert "以下企业不在任何互评组中，交叉互评不会抽到其党支部：华西新能源公司党委" in detail
    assert detail.link("互评组", href="/groups/")
