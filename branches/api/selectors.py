"""Reads of the API and of the token pages."""

from django.db.models import Q, QuerySet

from ..access import Perm, token_scope_q, visible_orgs
from ..models import ApiToken, ApiTokenUse, Organization, OrgKind, User

USES_SHOWN = 200  # the latest uses a token's page lists


def tokens(user: User) -> QuerySet[ApiToken]:
    """The tokens the user sees (``access.token_scope_q``), newest first."""
    return ApiToken.objects.filter(token_scope_q(user)).select_related(
        "organization", "created_by", "revoked_by"
    )


def token_uses(token: ApiToken) -> QuerySet[ApiTokenUse]:
    return token.uses.order_by("-at", "-pk")[:USES_SHOWN]


def token_organizations(user: User) -> QuerySet[Organization]:
    """What a token may be scoped to: the organizations where the user grants roles,
    down to the 党支部 (a 党小组 holds nothing the API reads)."""
    return (
        visible_orgs(user, Perm.GRANT_ROLES)
        .exclude(kind=OrgKind.GROUP)
        .only("pk", "code", "name", "depth", "path")
    )


def organizations(
    user: User, *, kind: str = "", under: str = "", q: str = ""
) -> QuerySet[Organization]:
    """The organizations the caller sees, parents before children, each with its
    parent's and its 党委's codes."""
    orgs = visible_orgs(user).select_related("parent", "enterprise").order_by("path")
    if kind:
        orgs = orgs.filter(kind=kind)
    if under:
        root = Organization.objects.filter(code=under).values_list("path", flat=True).first()
        orgs = orgs.filter(path__subtree=root) if root else orgs.none()
    if q:
        orgs = orgs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return orgs


def org_id(code: str) -> int | None:
    """The key of the organization with this code (None: no such code); whether the
    caller may see it is the access helper's question."""
    return Organization.objects.filter(code=code).values_list("pk", flat=True).first()
