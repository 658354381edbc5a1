"""Every write to a roster. The branch's full/probationary counts follow its roster as soon
as it has members (``sync_counts``); until then they stay as entered on the organization."""

from django.db import transaction
from django.db.models import Count, ProtectedError, Q

from ..models import Member, MemberStatus, Organization, User
from ..services import BranchesError


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
        member = Member(organization=org, **data)
        member.full_clean(exclude=["organization"], validate_constraints=False)
        _check_name(member)
        member.save()
        sync_counts(org)
    return member


def update_member(member: Member, *, by: User, data: dict) -> Member:
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
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
