"""Reads of notices: a person's own, never anyone else's; who a notice reached by which
channel (``reach``: the one answer for the message centre and for 催办)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from branches.models import User

from ..models import Channel, Notice, NoticeKind, NoticePush, PushStatus
from .messenger import robots


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


@dataclass(frozen=True)
class Reached:
    """One channel of one notice and where it stands."""

    channel: str  # 站内通知, 邮件, 企业微信, 钉钉
    state: str  # 已送达, 已发送, 待发送, 发送中, 发送失败
    ok: bool | None  # True reached, False failed for good, None still on its way
    error: str = ""  # why it failed (or why the last attempt did), in Chinese


def reach(notices: Iterable[Notice]) -> list[tuple[Notice, list[Reached]]]:
    """Each notice with every channel it went by: inside the product, by email (sent with
    the notice), and each messenger robot's push with its state (one query)."""
    notices = list(notices)
    pushes: dict[int, list[NoticePush]] = {}
    for item in NoticePush.objects.filter(notice__in=notices).order_by("channel"):
        pushes.setdefault(item.notice_id, []).append(item)
    out = []
    for notice in notices:
        reached = [Reached("站内通知", "已送达", True)]
        if notice.emailed:
            reached.append(Reached("邮件", "已发送", True))
        for item in pushes.get(notice.pk, []):
            ok = {PushStatus.SENT: True, PushStatus.FAILED: False}.get(PushStatus(item.status))
            reached.append(
                Reached(item.get_channel_display(), item.get_status_display(), ok, item.error)
            )
        out.append((notice, reached))
    return out


def reminder_reach(campaign_id: int) -> list[tuple[Notice, list[Reached]]]:
    """The campaign's latest 催办: each person reminded, by which channels."""
    notices = Notice.objects.filter(
        kind=NoticeKind.REMINDER, key__startswith=f"reminder:c{campaign_id}:"
    )
    latest = notices.order_by("-created", "-pk").values_list("key", flat=True).first()
    if latest is None:
        return []
    return reach(notices.filter(key=latest).select_related("recipient").order_by("pk"))


def robot_names() -> list[str]:
    """The messengers whose robots take 催办 now (企业微信, 钉钉), as the 催办 page names them."""
    kinds = settings.MESSENGER_KINDS
    if kinds and NoticeKind.REMINDER not in kinds:
        return []
    return [Channel(c).label for c in robots()]
