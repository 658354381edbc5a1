"""Writes of the organizational-life records: announce, record, check (which locks the
record), amend a checked record with a reason, attachments."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from branches.meeting_kinds import KINDS
from branches.models import AuditAction, Member, Organization, User
from branches.toolkit import audit

from ..access import can_check_meetings, can_record_meetings
from ..models import (
    Attendance,
    Meeting,
    MeetingAmendment,
    MeetingAttachment,
    MeetingStatus,
)
from ..services.errors import AssessmentError, acting
from ..services.uploads import store_upload


@dataclass(frozen=True)
class Presence:
    member: Member
    present: bool
    reason: str = ""


FIELDS = {
    "kind": "会议类型",
    "planned_on": "预告日期",
    "held_on": "召开日期",
    "place": "地点",
    "topic": "主题",
    "host": "主持人",
    "minutes": "会议记录",
}


def check_values(org: Organization, values: dict, attendance: list[Presence] | None) -> list[str]:
    """Every reason the values cannot be stored, in Chinese (shared by pages and imports)."""
    problems = []
    if values.get("kind") not in KINDS:
        problems.append("会议类型不正确。")
    planned, held = values.get("planned_on"), values.get("held_on")
    if not planned and not held:
        problems.append("请填写预告日期或召开日期。")
    if held and held > timezone.localdate():
        problems.append("召开日期不能晚于今天；尚未召开的会议请只填预告日期。")
    if not (values.get("topic") or "").strip():
        problems.append("请填写会议主题。")
    for p in attendance or []:
        if p.member.organization_id != org.pk:
            problems.append(f"{p.member.name} 不是本支部党员。")
        if not p.present and not p.reason.strip():
            problems.append(f"{p.member.name} 缺席，必须写明原因。")
    if attendance and not held:
        problems.append("会议尚未召开，不能登记出席情况。")
    return problems


def _store_attendance(meeting: Meeting, attendance: list[Presence] | None) -> None:
    """Replace who came; the change is one audit entry on the meeting (old → new)."""
    if attendance is None:
        return
    before = _attendance_text(meeting)
    meeting.attendance.all().delete()
    Attendance.objects.bulk_create(
        [
            Attendance(
                meeting=meeting,
                member=p.member,
                present=p.present,
                reason="" if p.present else p.reason.strip()[:100],
            )
            for p in attendance
        ]
    )
    after = _attendance_text(meeting)
    if after != before:
        audit.record(
            meeting,
            AuditAction.UPDATE,
            {"attendance": {"label": "出席情况", "old": before or None, "new": after or None}},
        )


def _clean(values: dict) -> dict:
    out: dict[str, Any] = {k: values.get(k) for k in FIELDS}
    for k in ("place", "topic", "host", "minutes"):
        out[k] = (out[k] or "").strip()
    out["place"], out["topic"], out["host"] = (
        out["place"][:100],
        out["topic"][:200],
        out["host"][:50],
    )
    return out


@transaction.atomic
def save_meeting(
    org: Organization,
    *,
    by: User,
    values: dict,
    attendance: list[Presence] | None = None,
    meeting: Meeting | None = None,
) -> Meeting:
    """Announce (a planned date only) or record (a held date) a meeting, with who came.
    A checked record is locked: it changes only by ``amend_meeting``."""
    if not can_record_meetings(by, org):
        raise AssessmentError("组织生活记录由本支部书记登记。")
    problems = check_values(org, values, attendance)
    if problems:
        raise AssessmentError("；".join(problems))
    values = _clean(values)
    if meeting is not None:
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk, organization=org)
        if meeting.is_locked:
            raise AssessmentError("该记录已审核锁定，如需修改请登记更正并写明理由。")
    else:
        meeting = Meeting(organization=org, created_by=by)
    with acting(by):
        for k, v in values.items():
            setattr(meeting, k, v)
        meeting.status = MeetingStatus.HELD if meeting.held_on else MeetingStatus.PLANNED
        meeting.save()
        _store_attendance(meeting, attendance)
    return meeting


@transaction.atomic
def check_meeting(meeting: Meeting, *, by: User) -> Meeting:
    """The reviewer has checked the record against its evidence: it is locked."""
    if not can_check_meetings(by, meeting.organization):
        raise AssessmentError("只有考评员或党群部可以审核组织生活记录。")
    with acting(by):
        done = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.HELD).update(
            status=MeetingStatus.CHECKED, checked_by=by, checked_at=timezone.now()
        )
    if not done:
        raise AssessmentError("只有已召开、尚未审核的会议记录可以审核。")
    meeting.refresh_from_db()
    return meeting


def _attendance_text(meeting: Meeting) -> str:
    rows = meeting.attendance.select_related("member").order_by("member__name")
    return "、".join(
        f"{a.member.name}{'' if a.present else '（缺席：' + a.reason + '）'}" for a in rows
    )


@transaction.atomic
def amend_meeting(
    meeting: Meeting,
    *,
    by: User,
    reason: str,
    values: dict,
    attendance: list[Presence] | None = None,
) -> MeetingAmendment:
    """Correct a checked record: the change is stored with who, when, why and old → new."""
    if not can_record_meetings(by, meeting.organization):
        raise AssessmentError("会议记录的更正由本支部书记登记。")
    if not reason.strip():
        raise AssessmentError("更正必须写明理由。")
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not locked.is_locked:
        raise AssessmentError("尚未审核的记录请直接修改。")
    problems = check_values(locked.organization, values, attendance)
    if problems:
        raise AssessmentError("；".join(problems))
    values = _clean(values)
    changes = []
    for k, label in FIELDS.items():
        old, new = getattr(locked, k), values[k]
        if old != new:
            show = {"kind": lambda c: KINDS[c].name if c in KINDS else c}.get(k, lambda v: v)
            changes.append([label, _shown(show(old)), _shown(show(new))])
    before = _attendance_text(locked)
    with acting(by):
        for k, v in values.items():
            setattr(locked, k, v)
        locked.save()
        _store_attendance(locked, attendance)
        after = _attendance_text(locked)
        if before != after:
            changes.append(["出席情况", before, after])
        if not changes:
            raise AssessmentError("没有任何改动。")
        return MeetingAmendment.objects.create(
            meeting=locked, by=by, reason=reason.strip()[:2000], changes=changes
        )


def _shown(value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@transaction.atomic
def add_meeting_attachment(
    meeting: Meeting, *, by: User, name: str, content: bytes
) -> MeetingAttachment:
    if not can_record_meetings(by, meeting.organization):
        raise AssessmentError("附件由本支部书记上传。")
    if meeting.is_locked:
        raise AssessmentError("该记录已审核锁定，不能再上传附件。")
    return store_upload(MeetingAttachment(meeting=meeting), by=by, name=name, content=content)
