"""Reads of notices: a person's own, never anyone else's."""

from django.db.models import QuerySet

from branches.models import User

from ..models import Notice


def notices_of(user: User, *, unread_only: bool = False) -> QuerySet[Notice]:
    notices = Notice.objects.filter(recipient=user)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return notices.order_by("-created", "-pk")


def unread_count(user: User) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def get_notice(user: User, pk: int) -> Notice | None:
    """One of the user's notices (None for anyone else's: the view answers 404)."""
    return Notice.objects.filter(recipient=user, pk=pk).first()
