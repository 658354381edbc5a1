"""The header's search box and the help, as the demo's people use them.

Each person types into the search box in the header and reads the results page: a
支部书记 finds their own branch's sheets and problems and nothing of another branch; the
系统管理员 finds organizations and accounts but no sheet, no problem and no score; the
department finds everything in its tree, twenty a group, the rest on the group's own
pages. Then the 帮助 box above a page and the 帮助 link in the header, which shows the
user guide (a small one kept with the tests) for the reader's role."""

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .pages import Page, login, open_page

GUIDE = Path(__file__).resolve().parent.parent / "assessments" / "user_guide_sample.md"


def search(client, home: Page, q: str) -> Page:
    """Type ``q`` into the header's search box on ``home`` and submit it."""
    form = home.form(action="/search/")
    assert form.method == "get"
    return open_page(client, f"{form.action}?q={quote(q)}")


def group(page: Page, kind: str) -> str:
    """The text of one group of results ("" when the page has no such group)."""
    found = re.search(rf'<section[^>]*id="results-{kind}".*?</section>', page.html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))) if found else ""


def count(page: Page, kind: str) -> int:
    found = re.search(
        rf'id="results-{kind}".*?<span class="badge[^>]*>(\d+)</span>', page.html, re.S
    )
    assert found, f"no group {kind} on {page.url}"
    return int(found.group(1))


@pytest.mark.django_db
def test_a_secretary_finds_their_own_branch_and_nothing_of_another(client):
    home = login(client, "sj01")  # 蒋红梅, 支部书记 of 炼钢一作业区党支部
    page = search(client, home, "炼钢一作业区")
    assert "炼钢一作业区党支部（炼钢厂党总支）" in group(page, "orgs")
    # Her own self-assessment and the signed review of her branch; never the review
    # still in draft.
    sheets = group(page, "sheets")
    assert "自查" in sheets and "实地考核评分" in sheets and "督导检查" not in sheets
    assert count(page, "problems") == 27  # her branch's list (一支部一清单)
    first_sheet = page.links_to(r"^/sheets/\d+/$")[0][0]
    assert open_page(client, first_sheet).status == 200
    first_problem = page.links_to(r"^/rectifications/\d+/$")[0][0]
    assert open_page(client, first_problem).status == 200
    assert not group(page, "accounts")  # no people pages for a secretary

    # Another branch (sj02's 一号煤矿党支部, its sheets signed and its problems open):
    # nothing at all, not even that it exists.
    other = search(client, home, "一号煤矿")
    assert count(other, "orgs") == count(other, "sheets") == count(other, "problems") == 0
    assert "没有找到" in other
    # Every problem she finds is her own branch's, whatever the words.
    mine = search(client, home, "党支部")
    problems = group(mine, "problems")
    assert problems.count("炼钢一作业区党支部") == 20
    for branch in ("一号煤矿", "化工分厂", "车队", "轧钢厂", "机关党支部"):
        assert branch not in problems


@pytest.mark.django_db
def test_another_secretary_finds_nothing_of_the_first(client):
    home = login(client, "sj02")  # 一号煤矿党支部
    page = search(client, home, "炼钢")
    assert count(page, "orgs") == count(page, "sheets") == count(page, "problems") == 0
    assert not page.links_to(r"^/(sheets|rectifications|orgs)/\d+/$")


@pytest.mark.django_db
def test_the_system_administrator_finds_people_but_no_score(client):
    home = login(client, "xt01")  # 系统管理员
    page = search(client, home, "炼钢")
    assert "炼钢一作业区党支部（炼钢厂党总支）" in group(page, "orgs")
    assert count(page, "sheets") == count(page, "problems") == 0
    assert not page.links_to(r"^/(sheets|rectifications)/\d+/$")
    # 三员分立: the 系统管理员 reads no score, no grade, no problem found by scoring.
    for word in ("得分", "等次", "合格", "整改时限"):
        assert word not in page.text

    people = search(client, home, "蒋红梅")
    assert "工号 sj01" in group(people, "accounts")
    account = people.link("蒋红梅", href="/people/")
    assert "sj01" in open_page(client, account)
    # The roster is the branches' business: the 系统管理员 reads no member.
    assert not group(people, "members")


@pytest.mark.django_db
def test_the_department_pages_through_every_group(client):
    home = login(client, "dq01")  # 党群部管理员 over the whole group
    page = search(client, home, "机关党支部")
    orgs = group(page, "orgs")
    assert "机关党支部（华西能化公司党委）" in orgs and "机关党支部（华西物流公司党委）" in orgs

    page = search(client, home, "党支部")
    assert count(page, "problems") > 20
    assert group(page, "problems").count("整改时限") == 20  # the first twenty
    more = page.link("查看全部", href="kind=problems")
    first = open_page(client, more)
    assert [g for g in ("orgs", "members", "accounts", "sheets") if group(first, g)] == []
    second = open_page(client, first.url + first.link("下一页"))
    assert "第 2 /" in second
    items = r"^/rectifications/\d+/$"
    assert len(first.links_to(items)) == len(second.links_to(items)) == 20
    assert set(first.links_to(items)).isdisjoint(second.links_to(items))

    # A member of a roster, found by name, opens the roster at that name.
    member = search(client, home, "沈涛")
    roster = open_page(client, member.link("沈涛", href="/members/"))
    assert "沈涛" in roster

    # The page asks the database a bounded number of questions, however much matches:
    # the session and the header's (five), then a count and a page of rows a group.
    with CaptureQueriesContext(connection) as broad:
        client.get(f"/search/?q={quote('党')}")
    with CaptureQueriesContext(connection) as narrow:
        client.get(f"/search/?q={quote('机关党支部')}")
    assert len(broad) <= 5 + 2 * 4 and len(narrow) <= 5 + 2 * 4


@pytest.mark.django_db
def test_the_search_takes_any_input_without_failing(client):
    home = login(client, "kp01")
    hint = open_page(client, "/search/")
    assert "输入关键词" in hint and "没有找到" not in hint
    assert "输入关键词" in open_page(client, "/search/?q=%20%20")
    long = open_page(client, "/search/?q=" + "炼" * 300)
    assert re.search(r'name="q"[^>]*value="炼{100}"', long.html)
    assert open_page(client, "/search/?q=%3Cscript%3E").html.count("<script>") == home.html.count(
        "<script>"
    )
    for bad in ("kind=nothing", "page=abc", "page=0", "page=99999999999999", "kind=sheets&page=-1"):
        assert client.get(f"/search/?q=x&{bad}").status_code == 400, bad
    # A page past the last shows the last.
    assert client.get(f"/search/?q={quote('党')}&kind=sheets&page=500").status_code == 200


@pytest.fixture
def guide(monkeypatch):
    monkeypatch.setattr("assessments.help.selectors.GUIDE", GUIDE)


@pytest.mark.django_db
def test_every_page_says_what_it_is_for_and_the_header_opens_the_guide(client, guide):
    home = login(client, "sj01")
    box = re.search(r'<details class="page-help".*?</details>', home.html, re.S).group(0)
    assert "待办" in box and 'href="/help/"' in box

    tree = open_page(client, "/orgs/")
    assert "组织架构按层级列出" in tree

    # The header's 帮助 link: the guide for her role, not the others'.
    help_page = open_page(client, home.link("帮助", href="/help/"))
    assert "填写自查表" in help_page  # the 支部书记 section
    assert "重置密码" not in help_page  # the 系统管理员 section
    assert "所有人都适用" in help_page  # a section for everyone
    assert "示例指南" in help_page  # before the first section
    everyone = open_page(client, help_page.link("全部"))
    assert "填写自查表" in everyone and "重置密码" in everyone
    other = open_page(client, help_page.link("系统管理员"))
    assert "重置密码" in other and "填写自查表" not in other
    # The guide's raw HTML is written out, never run.
    assert "<script>alert" not in everyone.html and "&lt;script&gt;" in everyone.html
    assert 'href="javascript:' not in everyone.html
    assert client.get("/help/?role=nobody").status_code == 400

    # The 系统管理员 gets their own section first.
    login(client, "xt01")
    mine = open_page(client, "/help/")
    assert "重置密码" in mine and "填写自查表" not in mine


@pytest.mark.django_db
def test_without_a_guide_the_help_page_says_so(client, monkeypatch):
    monkeypatch.setattr("assessments.help.selectors.GUIDE", GUIDE.with_name("missing.md"))
    login(client, "ld01")
    page = open_page(client, "/help/")
    assert "使用指南尚未提供" in page
