"""Every write to a roster. The branch's full/probationary counts follow its roster as soon
as it has members (``sync_counts``); until then they stay as entered on the organization."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Count, ProtectedError, Q

from ..access import Perm, has_perm
from ..models import Member, MemberStatus, Organization, User
from ..services import BranchesError

# Why a member's linked login may not change now, asked of every app that binds rights to
# it (an open assignment): each check returns a Chinese reason or None. Apps that sit
# above this one register theirs from AppConfig.ready().
LOGIN_HOLDS: list[Callable[[Member], str | None]] = []


def may_link_logins(user: User, org: Organization) -> bool:
    """Linking a member to a login (系统账号) is an identity binding: the department over
    the branch or the account administrator sets it, never the branch itself (a
    secretary relinking a member to their own login would take over that member's
    assignments)."""
    return has_perm(user, Perm.MANAGE_CAMPAIGNS, org) or has_perm(user, Perm.MANAGE_PEOPLE, org)


def login_change_refusal(member: Member, *, by: User, user_id: int | None) -> str | None:
    """Why ``by`` may not link ``member`` (as stored: its ``user_id`` is the current
    link) to the login ``user_id`` (None: may, or no change). The one rule for the
    roster form and the roster import."""
    if member.user_id == user_id:
        return None
    if not may_link_logins(by, member.organization):
        return "党员的系统账号（工号）只能由党群部或系统管理员关联或修改。"
    if member.pk is not None:
        for hold in LOGIN_HOLDS:
            reason = hold(member)
            if reason:
                return reason
    return None


def sync_counts(org: Organization) -> None:
    """Set the organization's 正式/预备党员数 from its active roster, if it has one."""
    counts = (
        Member.objects.filter(organization=org)
        .active()
        .aggregate(
            full=Count("pk", filter=Q(status=MemberStatus.FULL)),
            probationary=Count("pk", filter=Q(status=MemberStatus.PROBATIONARY)),
        )
    )
    if counts["full"] + counts["probationary"] == 0:
        return
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if (org.full_members, org.probationary_members) != (counts["full"], counts["probationary"]):
        org.full_members, org.probationary_members = counts["full"], counts["probationary"]
        org.save(update_fields=["full_members", "probationary_members", "updated_at"])


def _check_name(member: Member) -> None:
    if member.left_on is not None:
        return
    clash = (
        Member.objects.filter(organization_id=member.organization_id, name=member.name)
        .active()
        .exclude(pk=member.pk)
    )
    if clash.exists():
        raise BranchesError(f"本支部已有在册党员“{member.name}”（同名者请在姓名后加注以区分）。")


def add_member(org: Organization, *, by: User, data: dict) -> Member:
    with transaction.atomic():
        user = data.get("user")
        reason = login_change_refusal(
            Member(organization=org), by=by, user_id=user.pk if user is not None else None
        )
        if reason:
            raise BranchesError(reason)
        member = Member(organization=org, **data)
        member.full_clean(exclude=["organization"], validate_constraints=False)
        _check_name(member)
        member.save()
        sync_counts(org)
    return member


def update_member(member: Member, *, by: User, data: dict) -> Member:
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if "user" in data:
            user_id = data["user"].pk if data["user"] is not None else None
            reason = login_change_refusal(member, by=by, user_id=user_id)
            if reason:
                raise BranchesError(reason)
        for name, value in data.items():
            setattr(member, name, value)
        member.full_clean(exclude=["organization"], validate_constraints=False)
        _check_name(member)
        member.save()
        sync_counts(member.organization)
    return member


def delete_member(member: Member, *, by: User) -> None:
    """Delete a member entered by mistake. A member that records refer to is kept: give
    them a 离开日期 instead."""
    org = member.organization
    try:
        with transaction.atomic():
            member.delete()
            sync_counts(org)
    except ProtectedError:
        raise BranchesError(
            f"“{member.name}”已有履职、会议等记录，不能删除；如已调离，请在编辑中填写离开日期。"
        ) from None
