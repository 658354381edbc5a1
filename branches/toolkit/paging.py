"""Pages of long lists. A list counts its rows only as far as the pages it can link: a
page of 50,000 branches then costs what a page of 500 does, and the pager says "超过 N 条"
where it stopped counting (search narrows a list to an exact count)."""

from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from .params import LIST_PAGE_SIZE

# Pages counted past the one asked for (the first page counts 250 rows): few enough that
# PostgreSQL counts them by following its indexes, not by hashing a whole table first.
PAGES_AHEAD = 4
MAX_PAGE = 1_000_000


class ListPaginator(Paginator):
    """A ``Paginator`` whose count stops ``PAGES_AHEAD`` pages past the page asked for;
    ``more`` says whether rows lie beyond it."""

    more = False

    def __init__(self, object_list, per_page: int = LIST_PAGE_SIZE, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.limit: int | None = None

    def get_page(self, number) -> Page:
        try:
            # Bounded: a page number of twenty digits must not become a LIMIT no
            # database takes (Django's own check then gives the last page).
            asked = min(max(int(number), 1), MAX_PAGE)
        except (TypeError, ValueError):
            asked = 1
        self.limit = (asked + PAGES_AHEAD) * self.per_page
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if self.limit is None or not isinstance(rows, QuerySet):
            return super().count
        # Keys only, unordered and cut at the limit: the database stops after limit + 1
        # rows and works out none of the columns a page prints.
        found = rows.order_by().values("pk")[: self.limit + 1].count()
        self.more = found > self.limit
        return min(found, self.limit)


def list_page(request: HttpRequest, rows, size: int = LIST_PAGE_SIZE) -> Page:
    """The page of ``rows`` the request asks for (``?page=``; a bad number is the first or
    the last page, as Django's ``get_page`` does)."""
    return ListPaginator(rows, size).get_page(request.GET.get("page"))
