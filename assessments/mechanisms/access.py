"""Who sees and does what in the working mechanisms. Every mechanisms view loads through
here, on top of branches.access: an object outside what the user may see answers 404, an
object the user sees but may not act on answers 403.

Roles on a pairing, inspection or post list (one user may hold several):
- ``dept``: 党群部管理员 over the branch (MANAGE_CAMPAIGNS): sets up, scores, accepts;
- ``reader``: anyone with VIEW_RESULTS over the branch (leaders);
- ``helper``: the pairing's 甲方;
- ``secretary``: a 支部书记 over the branch (their own branch, or a 总支's branches);
- ``inspector``: one of an inspection's inspectors: the login the member had when assigned
  (``Inspection.inspector_accounts``), never resolved again through the roster.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from branches import access
from branches.access import Perm
from branches.models import Organization, Role, User

from ..models import Inspection, Pairing

DEPT, READER, HELPER, SECRETARY, INSPECTOR = "dept", "reader", "helper", "secretary", "inspector"


def _secretary_paths(user: User) -> list[str]:
    return [m.organization.path for m in access.memberships(user) if m.role == Role.SECRETARY]


def secretary_q(user: User, field: str = "organization__path") -> Q:
    q = Q(pk__in=[])
    for path in _secretary_paths(user):
        q |= Q(**{f"{field}__startswith": path})
    return q


def org_roles(user: User, org: Organization) -> set[str]:
    roles = set()
    if access.has_perm(user, Perm.MANAGE_CAMPAIGNS, org):
        roles.add(DEPT)
    if access.has_perm(user, Perm.VIEW_RESULTS, org):
        roles.add(READER)
    if any(org.path.startswith(p) for p in _secretary_paths(user)):
        roles.add(SECRETARY)
    return roles


def _require(roles: set[str], needed: set[str] | None) -> None:
    if not roles:
        raise Http404("不存在或无权查看")
    if needed and not roles & needed:
        raise PermissionDenied


# -- pairings ----------------------------------------------------------------------------


def visible_pairings(user: User) -> QuerySet[Pairing]:
    return Pairing.objects.filter(
        access.scope_q(user, Perm.VIEW_RESULTS, "organization__path")
        | Q(helper=user)
        | secretary_q(user)
    ).select_related("organization__parent", "supervisor", "helper")


def pairing_roles(user: User, pairing: Pairing) -> set[str]:
    roles = org_roles(user, pairing.organization)
    if pairing.helper_id == user.pk:
        roles.add(HELPER)
    return roles


def get_pairing(user: User, pk: int, needed: set[str] | None = None) -> tuple[Pairing, set[str]]:
    try:
        pairing = Pairing.objects.select_related("organization", "supervisor", "helper").get(pk=pk)
    except (Pairing.DoesNotExist, ValueError, OverflowError):
        raise Http404("结对不存在或无权查看") from None
    roles = pairing_roles(user, pairing)
    _require(roles, needed)
    return pairing, roles


def can_create_pairing(user: User) -> bool:
    return access.has_perm(user, Perm.MANAGE_CAMPAIGNS)


# -- inspections -------------------------------------------------------------------------


def visible_inspections(user: User) -> QuerySet[Inspection]:
    return (
        Inspection.objects.filter(
            access.scope_q(user, Perm.VIEW_RESULTS, "organization__path")
            | secretary_q(user)
            | Q(inspector_accounts=user)
        )
        .distinct()
        .select_related("organization__parent")
    )


def inspection_roles(user: User, inspection: Inspection) -> set[str]:
    roles = org_roles(user, inspection.organization)
    if inspection.inspector_accounts.filter(pk=user.pk).exists():
        roles.add(INSPECTOR)
    return roles


def get_inspection(
    user: User, pk: int, needed: set[str] | None = None
) -> tuple[Inspection, set[str]]:
    try:
        inspection = Inspection.objects.select_related("organization", "version__rubric").get(pk=pk)
    except (Inspection.DoesNotExist, ValueError, OverflowError):
        raise Http404("互查不存在或无权查看") from None
    roles = inspection_roles(user, inspection)
    _require(roles, needed)
    return inspection, roles


# -- a branch's problem list and its posts -----------------------------------------------


def get_branch(user: User, pk: int, needed: set[str] | None = None) -> tuple[Organization, set]:
    """A branch for its problem list, posts and 公示栏: the department and leaders over it,
    its secretary, the helper paired with it, the inspectors sent to it."""
    try:
        org = Organization.objects.get(pk=pk)
    except (Organization.DoesNotExist, ValueError, OverflowError):
        raise Http404("组织不存在或无权查看") from None
    roles = org_roles(user, org)
    if Pairing.objects.filter(organization=org, helper=user).exists():
        roles.add(HELPER)
    if Inspection.objects.filter(organization=org, inspector_accounts=user).exists():
        roles.add(INSPECTOR)
    _require(roles, needed)
    return org, roles


# -- a person's annual-review record -------------------------------------------------------


def get_person(user: User, pk: int) -> User:
    """A person whose 年度考核 record the user may open: themselves, or someone who holds a
    role over, helps or is recorded against a branch whose results the user reads (404
    otherwise; what the page lists is scoped again by the selector)."""
    try:
        person = User.objects.get(pk=pk, is_active=True)
    except (User.DoesNotExist, ValueError, OverflowError):
        raise Http404("人员不存在或无权查看") from None
    if person.pk == user.pk:
        return person
    scope = access.scope_q(user, Perm.VIEW_RESULTS, "organization__path")
    if not access.has_perm(user, Perm.VIEW_RESULTS):
        raise Http404("人员不存在或无权查看")
    related = (
        person.memberships.filter(scope).exists()
        or Pairing.objects.filter(scope, helper=person).exists()
        or person.annual_effects.filter(scope).exists()
    )
    if not related:
        raise Http404("人员不存在或无权查看")
    return person
