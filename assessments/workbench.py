"""A person's workbench: every piece of open work, whatever gives it (a role, a pairing, an
inspection, a roster link), with its due date, the most urgent first.

Each source is read by the selector that already owns it (``tasks_for`` for sheets and
problems, the mechanisms' access helpers for pairings and inspections, ``term_reminders``
for 换届): this module only puts the rows side by side."""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from branches import access
from branches.access import Perm
from branches.models import Organization, Role, User, term_due_q
from branches.selectors import term_reminders
from branches.toolkit.periods import month_end, quarter_of, window

from .mechanisms import access as mechanism_access
from .mechanisms.services.pairing import visits_by_month
from .models import (
    Claim,
    ClaimStatus,
    InspectionStatus,
    PairingStatus,
    SheetStatus,
)
from .selectors import tasks_for

TERM_ROWS = 10  # the department's 换届 rows on the workbench; the full list has its page


@dataclass(frozen=True)
class Work:
    kind: str  # what is to be done, e.g. 填写考评表, 互查
    label: str  # the object, as the link's text
    url: str
    due: date | None
    note: str = ""
    returned: bool = False

    @property
    def days_left(self) -> int | None:
        return None if self.due is None else (self.due - timezone.localdate()).days

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass
class Workbench:
    rows: list[Work]
    tasks: dict  # tasks_for's answer, for the page's hints
    to_sign_count: int

    def __bool__(self) -> bool:
        return bool(self.rows)


def _sheet(sheet) -> tuple[str, str]:
    return f"{sheet.organization.name} · {sheet.stage.name}", reverse(
        "sheet_detail", args=[sheet.pk]
    )


def _item(item) -> tuple[str, str]:
    return f"{item.organization.name} · {item.code}", reverse(
        "rectification_detail", args=[item.pk]
    )


def _from_tasks(tasks: dict) -> list[Work]:
    rows = []
    reasons = tasks["returned_reasons"]
    for task in tasks["todo"]:
        sheet = task.sheet
        returned = sheet.status == SheetStatus.RETURNED
        rows.append(
            Work(
                "修改退回的考评表" if returned else "待填写考评表",
                *_sheet(sheet),
                sheet.stage.deadline,
                f"已退回：{reasons.get(sheet.pk, '')}" if returned else sheet.campaign.name,
                returned=returned,
            )
        )
    for sheet in tasks["to_check"]:
        rows.append(Work("待审阅支部自评（可退回）", *_sheet(sheet), sheet.stage.deadline))
    for sheet in tasks["to_sign"]:
        note = f"{sheet.assessor.name or sheet.assessor.username} 提交"
        rows.append(
            Work("待审核签发", *_sheet(sheet), None, note + ("，逾期" if sheet.late else ""))
        )
    for item in tasks["fix"]:
        note = "已退回" if item.status == "returned" else ""
        rows.append(Work("待整改", *_item(item), item.deadline, note))
    for item in tasks["verify"]:
        rows.append(Work("待核实销号", *_item(item), item.deadline, "支部已提交整改"))
    return rows


def _pairings(user: User) -> list[Work]:
    """The pairings this person helps whose visits this month are not yet enough."""
    rows = []
    today = timezone.localdate()
    mine = mechanism_access.visible_pairings(user).filter(
        helper=user, status__in=[PairingStatus.ACTIVE, PairingStatus.EXTENDED]
    )
    for pairing in mine:
        months = visits_by_month(pairing)
        if not months or months[-1][3]:
            continue
        _, _, visits, _ = months[-1]
        rows.append(
            Work(
                "结对帮扶",
                pairing.organization.name,
                reverse("pairing_detail", args=[pairing.pk]),
                min(month_end(today.year, today.month), pairing.end),
                f"本月下沉帮扶 {visits} / {pairing.visits_per_month} 次，不足",
            )
        )
    return rows


def _inspections(user: User) -> list[Work]:
    mine = mechanism_access.visible_inspections(user).filter(
        inspector_accounts=user, status=InspectionStatus.SCHEDULED
    )
    return [
        Work(
            "互查",
            inspection.organization.name,
            reverse("inspection_detail", args=[inspection.pk]),
            inspection.scheduled_on,
            f"{inspection.year}年第{inspection.quarter}季度，待检查",
        )
        for inspection in mine.order_by("scheduled_on")
    ]


def _posts(user: User) -> list[Work]:
    """The 责任岗 claimed this quarter by the roster member linked to this login."""
    today = timezone.localdate()
    year, quarter, _ = quarter_of(today)
    quarter_end = window(year, quarter)[1]
    claims = (
        Claim.objects.filter(
            member__user=user,
            post__year=year,
            post__quarter=quarter,
            status__in=[ClaimStatus.APPROVED, ClaimStatus.PENDING],
        )
        .select_related("post__organization")
        .order_by("post__kind", "pk")
    )
    return [
        Work(
            "责任岗",
            f"{claim.post.organization.name} · {claim.post.title}",
            "",  # the member's post has no page of its own: the secretary keeps the list
            quarter_end,
            f"{year}年第{quarter}季度，{claim.get_status_display()}",
        )
        for claim in claims
    ]


def _terms(user: User) -> list[Work]:
    """换届 due within the warning period: the secretary's own organizations, and for those
    who watch terms (VIEW_TERMS) the first of their reminders."""
    orgs: dict[int, Organization] = {}
    own = [m.organization_id for m in access.memberships(user) if m.role == Role.SECRETARY]
    if access.has_perm(user, Perm.VIEW_TERMS):
        orgs.update((o.pk, o) for o in term_reminders(user)[:TERM_ROWS])
    if own:
        due = Organization.objects.filter(term_due_q(), pk__in=own)
        orgs.update((o.pk, o) for o in due)
    return [
        Work(
            "换届",
            org.name,
            reverse("org_detail", args=[org.pk]),
            org.term_end,
            "任期已届满，请及时换届" if org.term_overdue else "任期即将届满，请准备换届",
        )
        for org in orgs.values()
    ]


def _interviews(user: User) -> list[Work]:
    """约谈 not yet held: the secretary interviewed and the department who records it."""
    from .mechanisms.exports import visible_interviews

    pending = visible_interviews(user).filter(held_on__isnull=True)
    secretary = mechanism_access.secretary_q(user)
    dept = access.scope_q(user, Perm.MANAGE_CAMPAIGNS, "organization__path")
    return [
        Work(
            "约谈",
            interview.organization.name,
            reverse("interview_list"),
            None,
            interview.reason,
        )
        for interview in pending.filter(Q(secretary) | Q(dept)).order_by("created_at")
    ]


def _natural(text: str) -> tuple:
    """Text with its numbers read as numbers: indicator 3.2 before 3.10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _urgency(work: Work) -> tuple:
    return (work.due is None, work.due or date.max, work.kind, _natural(work.label))


def workbench(user: User) -> Workbench:
    """Everything this person has to do, the nearest due date first (undated work last)."""
    tasks = tasks_for(user)
    rows = (
        _from_tasks(tasks)
        + _pairings(user)
        + _inspections(user)
        + _posts(user)
        + _terms(user)
        + _interviews(user)
    )
    rows.sort(key=_urgency)
    return Workbench(rows, tasks, tasks["to_sign_count"])
