"""Who reads the document register: the department (it issues the documents) and the
auditor (it checks that no number is given twice), each over its own subtree."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from branches import access
from branches.access import Perm
from branches.models import User

REGISTER_PERMS = (Perm.MANAGE_CAMPAIGNS, Perm.VIEW_AUDIT)


def require_register(user: User) -> None:
    """403 unless the user is the department or the auditor somewhere."""
    if not any(access.has_perm(user, perm) for perm in REGISTER_PERMS):
        raise PermissionDenied


def register_q(user: User) -> Q:
    """Register rows whose issuer lies in a subtree where the user holds either right."""
    if user.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    for perm in REGISTER_PERMS:
        condition |= access.scope_q(user, perm, "issuer__path")
    return condition


def may_open_documents(user: User) -> bool:
    """The department follows a row to its sheet or campaign; the auditor reads the
    register only (三员分立: never the reports' contents)."""
    return access.has_perm(user, Perm.MANAGE_CAMPAIGNS)
