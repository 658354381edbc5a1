"""Who may see and decide directory role proposals: the 安全管理员 over the proposal's
organization (else 404), and only for an account they may grant roles to (else 403)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ..access import Perm, account_refusal, has_perm, scope_q
from ..models import DirectoryRoleProposal, User


def require_proposals(user: User) -> None:
    """403 unless the user grants roles somewhere."""
    if not has_perm(user, Perm.GRANT_ROLES):
        raise PermissionDenied


def get_role_proposal(user: User, pk: int) -> DirectoryRoleProposal:
    require_proposals(user)
    try:
        proposal = (
            DirectoryRoleProposal.objects.filter(
                scope_q(user, Perm.GRANT_ROLES, "organization__path")
            )
            .select_related("user", "organization")
            .get(pk=pk)
        )
    except (DirectoryRoleProposal.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("角色建议不存在或无权查看") from None
    if account_refusal(user, proposal.user):
        raise PermissionDenied
    return proposal
