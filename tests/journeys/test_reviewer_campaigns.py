"""A 考评员 reaches the campaigns he reviews in from the header: the list shows those
alone, a campaign's page its stages and his own sheets, and nobody's progress or results.
Pages only, from the demo."""

import re

from .pages import login, open_page, sheets


def _campaign_links(page) -> dict[str, str]:
    return {label: url for url, label in page.links_to(r"^/campaigns/\d+/$")}


def test_reviewer_reaches_his_campaigns_and_his_sheets_only(client):
    home = login(client, "kp01")
    campaigns = open_page(client, home.link("考评活动", href="/campaigns/"))
    listed = _campaign_links(campaigns)
    assert set(listed) == {
        "2026年度党支部标准化建设考评（演示）",
        "2025年度党支部规范化建设考核（演示，已完成）",
    }, campaigns.text[:600]
    assert "新建考评活动" not in campaigns

    running = open_page(client, listed["2026年度党支部标准化建设考评（演示）"])
    assert "我的考评表（19 份）" in running, running.text[:800]
    own = sheets(running)
    assert len(own) == 19
    # Two branches of the same name read apart by their parent.
    assert "机关党支部（华西能化公司党委）" in running
    assert "督导检查" in running.row("热电厂党支部") and "草稿" in running.row("热电厂党支部")
    assert own[0][1].split("（")[0] in open_page(client, own[0][0])  # his sheet opens

    # His part only: no progress counts, no results, no management.
    assert not running.links_to(r"/(progress|results|consequences|reports?)/")
    for hidden in ("结果与台账", "已签发 ", "开始考评", "结束考评", "考评对象（"):
        assert hidden not in running, hidden
    campaign = re.match(r"^/campaigns/(\d+)/$", listed["2026年度党支部标准化建设考评（演示）"])
    pk = campaign.group(1)
    for url in (f"/campaigns/{pk}/progress/", f"/campaigns/{pk}/results/"):
        assert client.get(url).status_code == 403, url

    # The finished campaign: his signed sheets, still no results page.
    finished = open_page(client, listed["2025年度党支部规范化建设考核（演示，已完成）"])
    assert "已签发" in finished.row("热电厂党支部"), finished.text[:800]
    assert not finished.links_to(r"/results/")


def test_reviewer_without_an_assignment_sees_no_campaign(client):
    home = login(client, "kp02")  # a cross-review reviewer before the draw
    campaigns = open_page(client, home.link("考评活动", href="/campaigns/"))
    assert not _campaign_links(campaigns)
    assert "暂无您参与或可查看的考评活动" in campaigns
    # A campaign he does not review in stays hidden (404), like any outsider's.
    login(client, "kp01")
    url = _campaign_links(open_page(client, "/campaigns/"))["2026年度党支部标准化建设考评（演示）"]
    login(client, "kp02")
    assert client.get(url).status_code == 404


def test_secretary_has_no_campaign_list(client):
    home = login(client, "sj01")
    assert not home.links_to(r"^/campaigns/$")
    assert client.get("/campaigns/").status_code == 403
