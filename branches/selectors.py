"""Reads that need care: scoping and building the tree in one query."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .access import Perm, scope_paths, scope_q, visible_orgs
from .models import (
    MIN_BRANCH_FULL_MEMBERS,
    AuditEntry,
    CrossReviewGroup,
    ImportJob,
    Organization,
    OrgKind,
    User,
    term_due_q,
)

# The query twin of Organization.below_minimum.
BELOW_MINIMUM = Q(kind=OrgKind.BRANCH, is_joint=False, full_members__lt=MIN_BRANCH_FULL_MEMBERS)


@dataclass(frozen=True)
class TreeRow:
    org: Organization
    level: int


def tree_order(user: User) -> QuerySet[Organization]:
    """Every visible organization in pre-order, children by code (the stored tree key),
    with the columns the tree page shows: cut into pages of whole rows by the database
    (``visible_orgs`` takes the subtrees by their tree keys: one index chooses and orders)."""
    return (
        visible_orgs(user)
        .order_by("tree_key")
        .only(
            "id",
            "code",
            "name",
            "kind",
            "parent_id",
            "path",
            "depth",
            "is_joint",
            "full_members",
            "probationary_members",
            "category",
            "category_source",
            "weak_and_lax",
            "star_level",
            "secretary_name",
            "term_end",
        )
    )


def tree_rows(user: User, orgs) -> list[TreeRow]:
    """One page of ``tree_order``, each organization indented below the top of the
    subtree it is seen through (the top of one's scope is level 0)."""
    tops = scope_paths(user)
    rows = []
    for org in orgs:
        if tops is None:
            level = org.depth
        else:
            top = min((p for p in tops if org.path.startswith(p)), key=len, default=org.path)
            level = org.path.count("/") - top.count("/")
        rows.append(TreeRow(org, level))
    return rows


def tree_above(row: TreeRow) -> list[Organization]:
    """The organizations above a row down from the top of the user's scope (as many as its
    level): what a page starting at that row continues, never one the user cannot open."""
    return ancestors(row.org)[-row.level :] if row.level else []


def search_orgs(user: User, *, q: str = "", kind: str = "", flag: str = "") -> QuerySet:
    qs = visible_orgs(user).select_related("parent")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(secretary_name__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    today = timezone.localdate()
    if flag == "below_minimum":
        qs = qs.filter(BELOW_MINIMUM)
    elif flag == "weak":
        qs = qs.filter(weak_and_lax=True)
    elif flag == "term_due":
        qs = qs.filter(term_due_q(today))
    elif flag == "lagging":
        qs = qs.filter(category="lagging")
    return qs.order_by("tree_key")


def term_reminders(user: User) -> QuerySet[Organization]:
    """Organizations whose term is due (``term_due_q``): ending soon or already ended."""
    return (
        visible_orgs(user, Perm.VIEW_TERMS)
        .filter(term_due_q())
        .select_related("parent")
        .order_by("term_end", "code")
    )


def ancestors(org: Organization) -> list[Organization]:
    ids = [int(part) for part in org.path.strip("/").split("/")[:-1] if part]
    found = {o.pk: o for o in Organization.objects.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def audit_entries(
    user: User,
    *,
    q: str = "",
    action: str = "",
    start: date | None = None,
    end: date | None = None,
    actor: str = "",
    model: str = "",
    organization: Organization | None = None,
) -> QuerySet[AuditEntry]:
    """The audit trail the user may read (an auditor: their subtree and the global
    entries), narrowed by the filters; dates are local days, both ends included."""
    qs = AuditEntry.objects.all()
    if not user.is_superuser:
        # Changes that concern no organization (rubrics, accounts, logins) are global.
        qs = qs.filter(scope_q(user, Perm.VIEW_AUDIT, "org_path") | Q(org_path=""))
    if q:
        qs = qs.filter(
            Q(object_repr__icontains=q) | Q(actor_repr__icontains=q) | Q(model__icontains=q)
        )
    if action:
        qs = qs.filter(action=action)
    if start:
        qs = qs.filter(at__gte=_day_start(start))
    if end:
        qs = qs.filter(at__lt=_day_start(end + timedelta(days=1)))
    if actor:
        qs = qs.filter(Q(actor_repr__icontains=actor) | Q(actor__username__iexact=actor))
    if model:
        qs = qs.filter(model=model)
    if organization is not None:
        qs = qs.filter(org_path__subtree=organization.path)
    return qs.order_by("-at", "-id")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def branches_without_secretary(user: User) -> QuerySet[Organization]:
    """党支部 and 党总支 in the user's account-management scope with no 支部书记 account."""
    from .models import Membership, Role

    return (
        Organization.objects.filter(
            scope_q(user, Perm.MANAGE_PEOPLE, "path"),
            kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH),
        )
        .exclude(pk__in=Membership.objects.filter(role=Role.SECRETARY).values("organization"))
        .order_by("path")
    )


def password_resets(user: User, *, pending: bool) -> QuerySet:
    """Password reset requests for the accounts the user sees on the people pages: the
    pending ones, or the decided ones (newest first)."""
    from .access import visible_users
    from .models import PasswordResetRequest, ResetStatus

    qs = PasswordResetRequest.objects.filter(user__in=visible_users(user))
    qs = (
        qs.filter(status=ResetStatus.PENDING) if pending else qs.exclude(status=ResetStatus.PENDING)
    )
    return qs.select_related("user", "requested_by", "decided_by").order_by("-requested_at", "-id")


def import_job(pk) -> ImportJob | None:
    """An upload's job without its file's bytes (the pages show its report only)."""
    return ImportJob.objects.defer("content").filter(pk=pk).first()


def visible_groups(user: User) -> QuerySet[CrossReviewGroup]:
    """The 互评组 whose owner the user may view, with their enterprises."""
    return (
        CrossReviewGroup.objects.filter(scope_q(user, Perm.VIEW_ORG, "owner__path"))
        .select_related("owner")
        .prefetch_related("members__enterprise")
    )
