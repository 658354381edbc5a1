"""Every write of the directory sign-ins: the role proposals of directory groups and the
安全管理员's decisions on them (a confirmed proposal is granted by ``grant_role``, the
same service as a grant by hand, with all its checks)."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import DirectoryRoleProposal, Membership, Organization, ProposalStatus, User
from ..services import BranchesError, grant_role, service
from ..toolkit import audit

logger = logging.getLogger(__name__)


def group_role_targets(group_dns: set[str]) -> list[tuple[str, str, str]]:
    """(group DN, role, organization code) of each of ``group_dns`` that LDAP_GROUP_ROLES
    maps to a role."""
    targets = []
    for dn in sorted(dn.lower() for dn in group_dns):
        if target := settings.LDAP_GROUP_ROLES.get(dn):
            role, code = target.split("@")
            targets.append((dn, role.strip(), code.strip()))
    return targets


def propose_directory_roles(*, user: User, group_dns: set[str]) -> list[DirectoryRoleProposal]:
    """At a directory sign-in: a pending proposal for each mapped group the person is in
    whose role they do not hold yet and that was never proposed; pending proposals of
    groups they have left are withdrawn. Grants nothing."""
    wanted = {}
    for dn, role, code in group_role_targets(group_dns):
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            logger.warning("LDAP_GROUP_ROLES: no organization with code %r (group %s)", code, dn)
            continue
        wanted[(organization.pk, role)] = (organization, dn)
    held = set(Membership.objects.filter(user=user).values_list("organization_id", "role"))
    created = []
    with transaction.atomic(), audit.acting(user, "directory"):
        proposals = {
            (p.organization_id, p.role): p
            for p in DirectoryRoleProposal.objects.select_for_update().filter(user=user)
        }
        for key, (organization, dn) in wanted.items():
            if key in held or key in proposals:
                continue
            created.append(
                DirectoryRoleProposal.objects.create(
                    user=user, organization=organization, role=key[1], group_dn=dn[:500]
                )
            )
        for key, proposal in proposals.items():
            if proposal.status == ProposalStatus.PENDING and key not in wanted:
                proposal.status = ProposalStatus.WITHDRAWN
                proposal.decided_at = timezone.now()
                proposal.save(update_fields=["status", "decided_at"])
    return created


def _decide(proposal: DirectoryRoleProposal, *, by: User, status: str) -> DirectoryRoleProposal:
    locked = DirectoryRoleProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.PENDING:
        raise BranchesError(f"该建议{locked.get_status_display()}，不能再处理。")
    if locked.user_id == by.pk:
        raise BranchesError("不能处理给自己的角色建议。")
    locked.status, locked.decided_by, locked.decided_at = status, by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


@service
def confirm_role_proposal(proposal: DirectoryRoleProposal, *, by: User) -> Membership:
    """The 安全管理员 confirms: the role is granted (``grant_role`` checks who may grant
    what, where and to whom, and 三员分立)."""
    _decide(proposal, by=by, status=ProposalStatus.CONFIRMED)
    return grant_role(
        by=by, user=proposal.user, organization=proposal.organization, role=proposal.role
    )


@service
def reject_role_proposal(proposal: DirectoryRoleProposal, *, by: User) -> DirectoryRoleProposal:
    from ..access import Perm, has_perm

    if not has_perm(by, Perm.GRANT_ROLES, proposal.organization):
        raise BranchesError("只有安全管理员可以在其授权管理范围内处理角色建议。")
    return _decide(proposal, by=by, status=ProposalStatus.REJECTED)
