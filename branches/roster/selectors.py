"""Reads of a roster: one query for the page, whatever its size."""

from django.db.models import Q, QuerySet

from ..models import Member, Organization


def roster(
    org: Organization, *, q: str = "", status: str = "", include_left: bool = False
) -> QuerySet[Member]:
    members = Member.objects.filter(organization=org).select_related("user")
    if not include_left:
        members = members.active()
    if q:
        members = members.filter(
            Q(name__icontains=q) | Q(party_group__icontains=q) | Q(phone__icontains=q)
        )
    if status:
        members = members.filter(status=status)
    return members.order_by("party_group", "name", "pk")
