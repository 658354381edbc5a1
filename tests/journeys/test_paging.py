"""Long lists count their rows only as far as the pages they can link: past that the pager
says "已超过 N 条" and offers the next page; a short list keeps its exact count."""

import re

import pytest

from branches.models import Organization
from branches.toolkit import paging

from .pages import login, open_page

pytestmark = pytest.mark.django_db


def test_a_count_stops_past_the_pages_it_can_link(demo, monkeypatch):
    monkeypatch.setattr(paging, "PAGES_AHEAD", 2)
    orgs = Organization.objects.order_by("tree_key")
    total = orgs.count()
    assert total > 6
    first = paging.ListPaginator(orgs, 2).get_page(1)
    assert first.paginator.more and first.paginator.count == 6 and first.has_next()
    assert [o.pk for o in first] == [o.pk for o in orgs[:2]]
    # Further on, the count reaches further; a bad number is the first page.
    assert paging.ListPaginator(orgs, 2).get_page(3).paginator.count == min(10, total)
    assert paging.ListPaginator(orgs, 2).get_page("x").number == 1
    whole = paging.ListPaginator(orgs, total).get_page(1)
    assert not whole.paginator.more and whole.paginator.count == total


def test_the_tree_pages_on_past_where_it_stopped_counting(client, demo, monkeypatch):
    from branches import views

    monkeypatch.setattr(paging, "PAGES_AHEAD", 1)
    monkeypatch.setattr(views, "TREE_PAGE_SIZE", 5)
    login(client, "dq01")
    page = open_page(client, "/orgs/")
    assert "第 1 / 2+ 页，已超过 10 条" in page.text
    second = open_page(client, "/orgs/" + page.link("下一页"))
    assert "第 2 / 3+ 页，已超过 15 条" in second.text
    # Page 2 goes on where page 1 stopped (ancestors above it are repeated as 接上页).
    assert not set(_rows(page)) & set(_rows(second)), (_rows(page), _rows(second))


def _rows(page) -> list[str]:
    """The organizations the page lists as its own rows (not the 接上页 line)."""
    rows = re.findall(r"<tr\b(?![^>]*tree-above).*?</tr>", page.html, re.S)
    return [n for row in rows for n in re.findall(r'href="/orgs/\d+/">([^<]+)</a>', row)]
