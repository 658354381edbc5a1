"""The help: a text for each page by URL name, and the user guide cut by role."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from assessments.help import selectors
from assessments.help.context_processors import page_help
from assessments.help.texts import PAGE_HELP
from branches.models import Role
from tests.conftest import make_superuser, make_user

SAMPLE = Path(__file__).with_name("user_guide_sample.md")


def _names(patterns) -> set[str]:
    names = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            names |= _names(p.url_patterns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(p.name)
    return names


def test_every_text_belongs_to_a_page_and_says_it_in_one_to_three_sentences():
    unknown = set(PAGE_HELP) - _names(get_resolver().url_patterns)
    assert not unknown, f"help for pages that do not exist: {sorted(unknown)}"
    for name, text in PAGE_HELP.items():
        sentences = len(re.findall(r"[。？！]", text))
        assert 1 <= sentences <= 3 and text.endswith("。"), name


def _context(path: str, user) -> dict:
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    request.user = user
    return page_help(request)


@pytest.mark.django_db
def test_the_box_shows_the_page_text_or_falls_back_to_the_guide(secretary_a):
    assert _context("/orgs/", secretary_a)["page_help"] == {
        "text": PAGE_HELP["org_tree"],
        "guide": True,
    }
    # A page without a text of its own: the guide alone.
    assert "sheet_departure" not in PAGE_HELP
    assert _context("/sheets/1/departures/", secretary_a)["page_help"] == {
        "text": "",
        "guide": True,
    }
    # The help page does not point at itself.
    assert _context("/help/", secretary_a)["page_help"]["guide"] is False
    # Before logging in: the text, no guide (it needs a login); nothing at all without one.
    assert _context("/accounts/login/", AnonymousUser())["page_help"]["guide"] is False
    assert _context("/sheets/1/departures/", AnonymousUser()) == {}


def test_the_guide_is_cut_at_its_role_headings():
    guide = selectors.parse_guide(SAMPLE.read_text(encoding="utf-8"))
    assert guide.title == "示例指南"
    assert "按角色分节" in guide.intro
    assert [s.title for s in guide.sections] == [
        "支部书记",
        "系统管理员",
        "常见问题（所有人都适用）",
    ]
    assert [s.roles for s in guide.sections] == [
        frozenset({Role.SECRETARY}),
        frozenset({Role.SYSADMIN}),
        frozenset(),
    ]
    assert guide.roles() == [(Role.SECRETARY, "支部书记"), (Role.SYSADMIN, "系统管理员")]
    common = guide.sections[2].html
    assert "<table>" in common  # tables render
    assert "代码块中的标题不分节" in common  # a heading inside fenced code stays there
    assert "<script>" not in common and "&lt;script&gt;" in common
    assert 'href="javascript:' not in common


def test_a_heading_naming_two_roles_serves_both():
    guide = selectors.parse_guide("## 系统管理员、安全管理员\n\n账号与角色。\n")
    assert guide.sections[0].roles == {Role.SYSADMIN, Role.SECURITY_ADMIN}
    assert guide.title == "" and str(guide.intro) == ""


@pytest.mark.django_db
def test_each_person_reads_their_own_sections(tree, secretary_a, sysadmin, leader):
    guide = selectors.parse_guide(SAMPLE.read_text(encoding="utf-8"))

    def titles(user, role=""):
        return [s.title for s in selectors.sections_for(guide, user, role)]

    assert titles(secretary_a) == ["支部书记", "常见问题（所有人都适用）"]
    assert titles(sysadmin) == ["系统管理员", "常见问题（所有人都适用）"]
    assert titles(secretary_a, Role.SYSADMIN) == ["系统管理员", "常见问题（所有人都适用）"]
    everything = ["支部书记", "系统管理员", "常见问题（所有人都适用）"]
    assert titles(secretary_a, "all") == everything
    assert titles(make_superuser()) == everything
    # A role the guide has no section for, or no role yet: the whole guide.
    assert titles(leader) == everything
    assert titles(make_user("nobody")) == everything


def test_the_guide_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "guide.md"
    assert selectors.read_guide(path) is None
    path.write_text("## 支部书记\n\n第一版\n", encoding="utf-8")
    assert "第一版" in selectors.read_guide(path).sections[0].html
    path.write_text("## 支部书记\n\n第二版\n", encoding="utf-8")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000_000))
    assert "第二版" in selectors.read_guide(path).sections[0].html
