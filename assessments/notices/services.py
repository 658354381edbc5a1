"""Writes of notices: one writer (``deliver``), idempotent per (person, event); the sweep that
finds the events in the records that hold them; email as a second channel; the messengers'
group robots as further channels (``push``: one push per notice and channel, sent once)."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from branches.models import Membership, Role, User
from branches.toolkit import audit

from ..models import (
    EDITABLE,
    WITH_BRANCH,
    CampaignStatus,
    Inspection,
    Interview,
    Notice,
    NoticeKind,
    NoticePush,
    Pairing,
    PushStatus,
    RectificationEvent,
    RectificationItem,
    RectificationStatus,
    ScoreSheet,
    SheetEvent,
    SheetStatus,
)
from . import messenger
from .selectors import due_q

logger = logging.getLogger(__name__)

DUE_SOON_DAYS = 3  # "deadline in 3 days"
SUBJECT = "【党支部标准化考评】"


@dataclass(frozen=True)
class Draft:
    """One notice to write: ``key`` names the event (one notice per person per event)."""

    recipient: User
    kind: str
    key: str
    text: str
    link: str = ""
    email_body: str = ""  # the email's text when it says more than the notice
    subject: str = ""  # the email's subject after SUBJECT (default: the kind)


@dataclass
class Delivery:
    notified: list[User]  # people who got a new notice
    emailed: list[User]  # of them, those also reached by email
    pushes: list[NoticePush] = field(default_factory=list)  # for the worker to send


def deliver(drafts: Iterable[Draft]) -> Delivery:
    """Write the notices not yet written (the same event never twice for one person) and
    email each new one to a recipient with an address."""
    drafts = list({(d.recipient.pk, d.key): d for d in drafts}.values())
    if not drafts:
        return Delivery([], [])
    existing = set(
        Notice.objects.filter(
            recipient_id__in={d.recipient.pk for d in drafts}, key__in={d.key for d in drafts}
        ).values_list("recipient_id", "key")
    )
    new = [d for d in drafts if (d.recipient.pk, d.key) not in existing]
    rows = [
        Notice(
            recipient=d.recipient,
            kind=d.kind,
            key=d.key[:120],
            text=d.text[:300],
            link=d.link[:300],
            emailed=bool(d.recipient.email),
        )
        for d in new
    ]
    try:
        with transaction.atomic():
            Notice.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent sweep wrote some of the same events meanwhile: the constraint wins,
        # and only the rows still missing are written (and emailed).
        written = [_written(row) for row in rows]
        new = [d for d, row in zip(new, written, strict=True) if row is not None]
        rows = [row for row in written if row is not None]
    audit.record_bulk([(row, None) for row in rows])
    pushes = _plan_pushes(rows)
    by_person: dict[int, list[Draft]] = {}
    for d in new:
        by_person.setdefault(d.recipient.pk, []).append(d)
    emailed = []
    for own in by_person.values():
        if own[0].recipient.email:
            _email(own)  # one email per person per delivery, however many notices
            emailed.append(own[0].recipient)
    return Delivery([own[0].recipient for own in by_person.values()], emailed, pushes)


def _written(row: Notice) -> Notice | None:
    """Write one notice unless its event is already there (None then)."""
    notice, created = Notice.objects.get_or_create(
        recipient=row.recipient,
        key=row.key,
        defaults={"kind": row.kind, "text": row.text, "link": row.link, "emailed": row.emailed},
    )
    return notice if created else None


def _email(own: list[Draft]) -> None:
    """Email one person their new notices: one notice as itself, several as a list."""
    first = own[0]
    name = first.recipient.name or first.recipient.username
    if len(own) == 1:
        subject = first.subject or NoticeKind(first.kind).label
        body = first.email_body or f"{name}：\n\n{first.text}\n\n请登录系统办理。"
    else:
        subject = f"您有 {len(own)} 条新通知"
        lines = "\n".join(f"· 【{NoticeKind(d.kind).label}】{d.text}" for d in own)
        body = f"{name}：\n\n{lines}\n\n请登录系统办理。"
    try:
        send_mail(
            subject=SUBJECT + subject,
            message=body,
            from_email=None,
            recipient_list=[first.recipient.email],
        )
    except OSError:  # the notices stand; the mail server's failure is logged
        logger.exception("notice email to %s failed", first.recipient.email)


# -- the messengers' robots ------------------------------------------------------------------

RETRY_CAP = timedelta(hours=1)  # the longest wait between two attempts


def _plan_pushes(notices: list[Notice]) -> list[NoticePush]:
    """One push per new notice and configured robot (only the kinds MESSENGER_KINDS names,
    every kind when it names none), due now."""
    channels = list(messenger.robots())
    kinds = set(settings.MESSENGER_KINDS)
    targets = [n for n in notices if not kinds or n.kind in kinds]
    if not channels or not targets:
        return []
    now = timezone.now()
    pushes = [
        NoticePush(notice=n, channel=channel, next_attempt_at=now)
        for n in targets
        for channel in channels
    ]
    NoticePush.objects.bulk_create(pushes)
    audit.record_bulk([(p, None) for p in pushes])
    return pushes


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: MESSENGER_RETRY_SECONDS, doubled each
    time, at most RETRY_CAP."""
    seconds = settings.MESSENGER_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), RETRY_CAP)


def _message(notice: Notice) -> messenger.Message:
    person = notice.recipient
    link = ""
    if settings.MESSENGER_SITE_URL and notice.link.startswith("/"):
        link = settings.MESSENGER_SITE_URL + notice.link
    return messenger.Message(
        kind=NoticeKind(notice.kind).label,
        text=notice.text,
        recipient=person.name or person.username,
        mobile=person.phone,
        link=link,
    )


def push(push_id: int) -> NoticePush | None:
    """Send one push to its robot if it is due and nobody else is sending it, and record
    what came back: 已送达; or a retry after ``backoff``; or, once MESSENGER_MAX_ATTEMPTS
    are spent, 发送失败 with the reason in Chinese. None when there was nothing to send
    (already sent, failed for good, or not due yet): a task run twice sends once."""
    claimed_at = timezone.now()
    claimed = NoticePush.objects.filter(due_q(claimed_at), pk=push_id).update(
        status=PushStatus.SENDING, claimed_at=claimed_at
    )
    if not claimed:
        return None
    item = NoticePush.objects.select_related("notice__recipient").get(pk=push_id)
    robot = messenger.robots().get(item.channel)
    if robot is None:
        outcome = messenger.Outcome(False, f"{item.get_channel_display()}机器人已不再配置")
    else:
        outcome = messenger.send(robot, _message(item.notice))
    attempts = item.attempts + 1
    now = timezone.now()
    if outcome.ok:
        changes = {"status": PushStatus.SENT, "sent_at": now, "error": ""}
    elif robot is None or attempts >= settings.MESSENGER_MAX_ATTEMPTS:
        reason = f"已尝试 {attempts} 次仍未送达：{outcome.error}"
        changes = {"status": PushStatus.FAILED, "error": reason[:300]}
    else:
        changes = {
            "status": PushStatus.PENDING,
            "next_attempt_at": now + backoff(attempts),
            "error": outcome.error[:300],
        }
    # Only the claim this call holds is finished (a slower duplicate finds it taken).
    NoticePush.objects.filter(pk=item.pk, status=PushStatus.SENDING, claimed_at=claimed_at).update(
        attempts=attempts, **changes
    )
    item.refresh_from_db()
    if item.status in (PushStatus.SENT, PushStatus.FAILED):
        with audit.acting(None, "system"):
            audit.record(
                item,
                "update",
                {
                    "status": {
                        "label": f"推送{item.get_channel_display()}",
                        "old": None,
                        "new": item.get_status_display()
                        + (f"（{item.error}）" if item.error else ""),
                    }
                },
            )
    if not outcome.ok:
        logger.warning("push %s to %s failed: %s", item.pk, item.channel, outcome.error)
    return item


# -- reading each kind of event from the records that hold it ------------------------------


def _sheet_label(sheet: ScoreSheet) -> str:
    return f"{sheet.organization.name} · {sheet.stage.name}"


def _open_sheets():
    return ScoreSheet.objects.filter(
        status__in=EDITABLE, campaign__status=CampaignStatus.OPEN
    ).select_related("assessor", "organization", "stage")


def _link(name: str, pk: int) -> str:
    return reverse(name, args=[pk])


def assigned() -> list[Draft]:
    """Sheets given to someone in a running campaign (once per sheet and person)."""
    return [
        Draft(
            s.assessor,
            NoticeKind.ASSIGNED,
            f"assigned:sheet{s.pk}:u{s.assessor_id}",
            f"新的考评任务：{_sheet_label(s)}，截止 {s.stage.deadline:%Y-%m-%d}。",
            _link("sheet_detail", s.pk),
        )
        for s in _open_sheets().filter(status=SheetStatus.DRAFT)
    ]


def returned() -> list[Draft]:
    """Sheets returned for changes and not yet resubmitted: the latest return of each."""
    sheets = {s.pk: s for s in _open_sheets().filter(status=SheetStatus.RETURNED).order_by("pk")}
    latest = (
        SheetEvent.objects.filter(sheet_id__in=sheets, to_status=SheetStatus.RETURNED)
        .values("sheet_id")
        .annotate(last=Max("pk"))
    )
    events = SheetEvent.objects.in_bulk([r["last"] for r in latest])
    drafts = []
    for event in events.values():
        sheet = sheets[event.sheet_id]
        drafts.append(
            Draft(
                sheet.assessor,
                NoticeKind.RETURNED,
                f"returned:event{event.pk}",
                f"考评表被退回修改：{_sheet_label(sheet)}。理由：{event.reason}",
                _link("sheet_detail", sheet.pk),
            )
        )
    return drafts


def _secretaries(org_ids: Iterable[int]) -> dict[int, list[User]]:
    out: dict[int, list[User]] = {}
    for m in Membership.objects.filter(
        role=Role.SECRETARY, organization_id__in=set(org_ids), user__is_active=True
    ).select_related("user"):
        out.setdefault(m.organization_id, []).append(m.user)
    return out


def _items_to_secretaries(items, kind: str, key: str, text) -> list[Draft]:
    items = list(items.select_related("organization"))
    who = _secretaries(i.organization_id for i in items)
    return [
        Draft(
            person,
            kind,
            f"{key}:item{i.pk}:{i.deadline:%Y%m%d}",
            text(i),
            _link("rectification_detail", i.pk),
        )
        for i in items
        for person in who.get(i.organization_id, [])
    ]


def due_soon(today) -> list[Draft]:
    """Sheets and problems whose deadline is within DUE_SOON_DAYS days."""
    limit = today + timedelta(days=DUE_SOON_DAYS)
    sheets = _open_sheets().filter(stage__deadline__gte=today, stage__deadline__lte=limit)
    drafts = [
        Draft(
            s.assessor,
            NoticeKind.DUE_SOON,
            f"due:sheet{s.pk}:{s.stage.deadline:%Y%m%d}",
            f"考评表将于 {s.stage.deadline:%Y-%m-%d} 截止"
            f"（剩 {(s.stage.deadline - today).days} 天）：{_sheet_label(s)}。",
            _link("sheet_detail", s.pk),
        )
        for s in sheets
    ]
    items = RectificationItem.objects.filter(
        status__in=WITH_BRANCH, deadline__gte=today, deadline__lte=limit
    )
    return drafts + _items_to_secretaries(
        items,
        NoticeKind.DUE_SOON,
        "due",
        lambda i: f"整改事项将于 {i.deadline:%Y-%m-%d} 到期：{i.organization.name} · {i.code}。",
    )


def overdue(today) -> list[Draft]:
    """Sheets still to fill after their deadline; problems past their deadline."""
    drafts = [
        Draft(
            s.assessor,
            NoticeKind.OVERDUE,
            f"overdue:sheet{s.pk}:{s.stage.deadline:%Y%m%d}",
            f"考评表已逾期（截止 {s.stage.deadline:%Y-%m-%d}）：{_sheet_label(s)}，请尽快提交。",
            _link("sheet_detail", s.pk),
        )
        for s in _open_sheets().overdue(today)
    ]
    items = RectificationItem.objects.overdue(today).filter(status__in=WITH_BRANCH)
    return drafts + _items_to_secretaries(
        items,
        NoticeKind.OVERDUE,
        "overdue",
        lambda i: (
            f"整改事项已逾期（时限 {i.deadline:%Y-%m-%d}）：{i.organization.name} · {i.code}。"
        ),
    )


def term_due(today) -> list[Draft]:
    """Organizations whose term ends within the warning period (or has ended): their
    secretaries."""
    from branches.models import Organization, term_due_q

    orgs = list(Organization.objects.filter(term_due_q(today)))
    who = _secretaries(o.pk for o in orgs)
    drafts = []
    for org in orgs:
        days = (org.term_end - today).days
        when = f"已届满 {-days} 天" if days < 0 else f"将于 {org.term_end:%Y-%m-%d} 届满"
        for person in who.get(org.pk, []):
            drafts.append(
                Draft(
                    person,
                    NoticeKind.TERM_DUE,
                    f"term:org{org.pk}:{org.term_end:%Y%m%d}",
                    f"换届提醒：{org.name}本届任期{when}，请按期换届。",
                    _link("org_detail", org.pk),
                )
            )
    return drafts


def interviews() -> list[Draft]:
    """约谈 recorded and not yet held: the secretary to be interviewed."""
    pending = list(Interview.objects.filter(held_on__isnull=True).select_related("organization"))
    who = _secretaries(i.organization_id for i in pending)
    return [
        Draft(
            person,
            NoticeKind.INTERVIEW,
            f"interview:{i.pk}",
            f"约谈通知：{i.organization.name}，{i.reason}。",
            reverse("interview_list"),
        )
        for i in pending
        for person in who.get(i.organization_id, [])
    ]


def to_verify() -> list[Draft]:
    """Problems a branch submitted as fixed: everyone who verifies them (the same rule as
    their workbench, ``selectors.verifier_q``)."""
    from ..selectors import verifier_q

    items = {
        i.pk: i
        for i in RectificationItem.objects.filter(
            status=RectificationStatus.SUBMITTED
        ).select_related("organization")
    }
    if not items:
        return []
    submitted = {
        r["item_id"]: r["last"]
        for r in RectificationEvent.objects.filter(
            item_id__in=items, to_status=RectificationStatus.SUBMITTED
        )
        .values("item_id")
        .annotate(last=Max("pk"))
    }
    # Who may verify: the department and reviewers (by membership), inspectors and helpers.
    candidates = set(
        Membership.objects.filter(role__in=[Role.DEPT_ADMIN, Role.REVIEWER]).values_list(
            "user_id", flat=True
        )
    )
    candidates |= set(
        Inspection.objects.filter(items__in=items).values_list("inspector_accounts", flat=True)
    )
    candidates |= set(Pairing.objects.filter(items__in=items).values_list("helper_id", flat=True))
    drafts = []
    for person in User.objects.filter(pk__in=candidates - {None}, is_active=True):
        mine = RectificationItem.objects.filter(verifier_q(person), pk__in=items)
        for pk in mine.values_list("pk", flat=True):
            i = items[pk]
            drafts.append(
                Draft(
                    person,
                    NoticeKind.VERIFY,
                    f"verify:item{pk}:ev{submitted.get(pk, 0)}",
                    f"待核实销号：{i.organization.name} · {i.code}，支部已提交整改情况。",
                    _link("rectification_detail", pk),
                )
            )
    return drafts


SOURCES: dict[str, Callable[[Any], list[Draft]]] = {
    NoticeKind.ASSIGNED: lambda today: assigned(),
    NoticeKind.RETURNED: lambda today: returned(),
    NoticeKind.DUE_SOON: due_soon,
    NoticeKind.OVERDUE: overdue,
    NoticeKind.TERM_DUE: term_due,
    NoticeKind.INTERVIEW: lambda today: interviews(),
    NoticeKind.VERIFY: lambda today: to_verify(),
}


def sweep(kinds: Iterable[str] | None = None, *, today=None) -> Delivery:
    """Find every event of these kinds (all by default) and deliver its notices: run by the
    task worker; a second run the same day writes nothing."""
    today = today or timezone.localdate()
    drafts: list[Draft] = []
    for kind in kinds or SOURCES:
        drafts += SOURCES[kind](today)
    with audit.acting(None, "system"):
        return deliver(drafts)


# -- reading: mark read ----------------------------------------------------------------------


def mark_read(notice: Notice, *, by: User) -> bool:
    """Mark one of ``by``'s notices read; False if it already was."""
    with audit.acting(by, audit.current().source):
        changed = Notice.objects.filter(pk=notice.pk, recipient=by, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            audit.record(
                notice, "update", {"read_at": {"label": "已读", "old": None, "new": "已读"}}
            )
    return bool(changed)


def mark_all_read(*, by: User) -> int:
    """Mark every unread notice of ``by`` read; how many were unread."""
    with audit.acting(by, audit.current().source):
        changed = Notice.objects.filter(recipient=by, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            audit.record(
                by,
                "update",
                {"notices": {"label": "站内通知全部已读", "old": None, "new": changed}},
            )
    return changed
