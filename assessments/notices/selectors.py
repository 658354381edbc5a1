"""Reads of notices: a person's own, never anyone else's."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from branches.models import User

from ..models import Notice, NoticePush, PushStatus


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


def due_pushes(now, *, limit: int = 500) -> list[NoticePush]:
    """Pushes to send now (waiting and due, or abandoned by a dead worker), oldest first."""
    return list(NoticePush.objects.filter(due_q(now)).order_by("next_attempt_at", "pk")[:limit])


def _lease() -> timedelta:
    """How long a push may stay 发送中 before it is taken for a crashed worker's."""
    return timedelta(seconds=settings.MESSENGER_TIMEOUT_SECONDS + 60)


def due_q(now) -> Q:
    """Pushes to send now: waiting and due, or left 发送中 by a worker that died."""
    return Q(status=PushStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=PushStatus.SENDING, claimed_at__lt=now - _lease()
    )
