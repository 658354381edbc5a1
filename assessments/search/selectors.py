"""The header's one search box: organizations, people, score sheets and problems, each
kind read through its own access helper, so a search never shows what the person's pages
would not (a 支部书记 finds neither another branch's sheet nor its problems; a 系统管理员
finds accounts and organizations but no sheet and no score)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from branches import access
from branches.access import Perm
from branches.models import ROSTER_KINDS, Member, User
from branches.selectors import search_orgs

from ..access import visible_rectifications, visible_sheets

# A group shows this many rows on the page of all groups; its own page pages by as many.
GROUP_SIZE = 20


def _orgs(user: User, q: str) -> QuerySet:
    """Organizations in the user's tree (``visible_orgs``), by name, code or secretary."""
    return search_orgs(user, q=q)


def _members(user: User, q: str) -> QuerySet:
    """Members of the rosters the user may read (``get_roster_org``'s rule), still in
    their branch."""
    if not access.has_perm(user, Perm.VIEW_MEMBERS):
        return Member.objects.none()
    return (
        Member.objects.active()
        .filter(
            access.scope_q(user, Perm.VIEW_MEMBERS, "organization__path"),
            organization__kind__in=ROSTER_KINDS,
            name__icontains=q,
        )
        .select_related("organization__parent")
        .order_by("name", "organization__tree_key", "pk")
    )


def _accounts(user: User, q: str) -> QuerySet:
    """Accounts on the people pages (系统管理员, 安全管理员): ``visible_users``."""
    if not access.manages_people(user):
        return User.objects.none()
    return (
        access.visible_users(user)
        .filter(Q(username__icontains=q) | Q(name__icontains=q))
        .order_by("username")
    )


def _sheets(user: User, q: str) -> QuerySet:
    """Sheets the user may open (``visible_sheets``), by organization, campaign or
    assessor; newest campaign first."""
    return (
        visible_sheets(user)
        .filter(
            Q(organization__name__icontains=q)
            | Q(organization__code__icontains=q)
            | Q(campaign__name__icontains=q)
            | Q(assessor__name__icontains=q)
        )
        .select_related("campaign", "stage", "organization__parent", "assessor")
        .order_by("-campaign_id", "organization__tree_key", "stage__position", "pk")
    )


def _problems(user: User, q: str) -> QuerySet:
    """Rectification items the user may open (``visible_rectifications``), by problem,
    code or organization."""
    return (
        visible_rectifications(user)
        .filter(Q(problem__icontains=q) | Q(code__icontains=q) | Q(organization__name__icontains=q))
        .select_related("organization__parent", "campaign")
        .order_by("organization__tree_key", "deadline", "code", "pk")
    )


@dataclass(frozen=True)
class Kind:
    value: str
    label: str
    rows: Callable[[User, str], QuerySet]
    # Whether the group is offered at all: a kind the role never reads is left out
    # rather than shown empty.
    offered: Callable[[User], bool]


KINDS = (
    Kind("orgs", "组织", _orgs, lambda user: access.has_perm(user, Perm.VIEW_ORG)),
    Kind("members", "党员", _members, lambda user: access.has_perm(user, Perm.VIEW_MEMBERS)),
    Kind("accounts", "账号", _accounts, access.manages_people),
    # Anyone may hold a sheet (an assessor) or see a problem (a finder): always offered.
    Kind("sheets", "考评表", _sheets, lambda user: True),
    Kind("problems", "整改问题", _problems, lambda user: True),
)
KIND_VALUES = tuple(kind.value for kind in KINDS)


@dataclass(frozen=True)
class Group:
    kind: str
    label: str
    page: Page
    # True when the group shows only its first rows and has more on its own page.
    more: bool


def search(user: User, *, q: str, kind: str = "", page: int = 1) -> list[Group]:
    """The groups of results for ``q``: every kind offered to the user with its first
    ``GROUP_SIZE`` rows, or (``kind``) that kind alone at page ``page``. Two queries a
    group (its count and its rows), whatever the number of matches."""
    if not q:
        return []
    groups = []
    for k in KINDS:
        if (kind and k.value != kind) or not k.offered(user):
            continue
        paginator = Paginator(k.rows(user, q), GROUP_SIZE)
        shown = paginator.get_page(page if kind else 1)
        groups.append(Group(k.value, k.label, shown, more=not kind and shown.has_next()))
    return groups
