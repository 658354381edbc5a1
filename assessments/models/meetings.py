"""Organizational-life records (三会一课 and the rest): what a branch announced, held and
who came. Scores are suggested from them (assessments.meetings)."""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from branches.meeting_kinds import KIND_CHOICES, KINDS
from branches.models import Member, Organization

from .workflow import EXTENSIONS, ScoreSheet, UploadedFile


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "已预告"  # announced in advance (预告制), not yet held
    HELD = "held", "已召开"
    CHECKED = "checked", "已审核"  # checked by a reviewer: locked, corrected by amendment


class Meeting(models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name="党支部", on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField("会议类型", max_length=30, choices=KIND_CHOICES)
    planned_on = models.DateField("预告日期", null=True, blank=True)
    held_on = models.DateField("召开日期", null=True, blank=True)
    place = models.CharField("地点", max_length=100, blank=True)
    topic = models.CharField("主题", max_length=200)
    host = models.CharField("主持人", max_length=50, blank=True)
    minutes = models.TextField("会议记录", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=MeetingStatus, default=MeetingStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        verbose_name = "组织生活记录"
        verbose_name_plural = "组织生活记录"
        ordering = ["organization__path", "held_on", "planned_on", "pk"]
        indexes = [models.Index(fields=["organization", "held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_on__isnull=False) | Q(held_on__isnull=False),
                name="meeting_has_a_date",
                violation_error_message="请填写预告日期或召开日期。",
            ),
            # Held and checked meetings carry their date; a checked one its checker.
            models.CheckConstraint(
                condition=Q(status=MeetingStatus.PLANNED) | Q(held_on__isnull=False),
                name="meeting_held_has_date",
                violation_error_message="已召开的会议必须填写召开日期。",
            ),
            models.CheckConstraint(
                condition=~Q(status=MeetingStatus.CHECKED)
                | Q(checked_by__isnull=False, checked_at__isnull=False),
                name="meeting_checked_has_checker",
            ),
        ]

    def __str__(self) -> str:
        day = self.held_on or self.planned_on
        return f"{self.organization.name} · {self.get_kind_display()} · {day:%Y-%m-%d}"

    @property
    def day(self) -> date:
        """The day it was held, or else the day it was announced for."""
        day = self.held_on or self.planned_on
        if day is None:  # refused by the meeting_has_a_date constraint
            raise ValueError("a meeting without a date")
        return day

    @property
    def kind_info(self):
        return KINDS[self.kind]

    @property
    def is_locked(self) -> bool:
        return self.status == MeetingStatus.CHECKED

    @property
    def late(self) -> bool:
        """Held after the date it was announced for."""
        return bool(self.held_on and self.planned_on and self.held_on > self.planned_on)

    def audit_org_path(self) -> str:
        return self.organization.path


class Attendance(models.Model):
    """A member's attendance at a meeting; an absentee's reason is required."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.PROTECT, related_name="attendance"
    )
    present = models.BooleanField("出席", default=True)
    reason = models.CharField("缺席原因", max_length=100, blank=True)

    class Meta:
        verbose_name = "出席情况"
        verbose_name_plural = "出席情况"
        ordering = ["meeting", "member__name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once"),
            models.CheckConstraint(
                condition=Q(present=True) | ~Q(reason=""),
                name="absence_has_reason",
                violation_error_message="缺席必须写明原因。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name}：{'出席' if self.present else '缺席（' + self.reason + '）'}"


def meeting_path(instance: "MeetingAttachment", filename: str) -> str:
    return f"meetings/{instance.meeting.organization_id}/{uuid.uuid4().hex}" + EXTENSIONS.get(
        instance.content_type, ""
    )


class MeetingAttachment(UploadedFile):
    """Photos, the sign-in sheet, the minutes as scanned."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField("文件", upload_to=meeting_path)

    class Meta(UploadedFile.Meta):
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"


class MeetingAmendment(models.Model):
    """A correction to a checked (locked) record: what changed, by whom and why."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="amendments"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="更正人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("更正时间", auto_now_add=True)
    reason = models.TextField("更正理由")
    changes = models.JSONField("更正内容", default=list)  # [[label, old, new], …]

    class Meta:
        verbose_name = "会议记录更正"
        verbose_name_plural = "会议记录更正"
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="amendment_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} 更正"


class ScoreDeparture(models.Model):
    """The assessor's written reason for scoring a record-measured item differently from
    the score the records suggest; the reviewer reads it beside the item."""

    sheet = models.ForeignKey(
        ScoreSheet, verbose_name="考评表", on_delete=models.CASCADE, related_name="departures"
    )
    code = models.CharField("指标编码", max_length=20)
    suggested = models.DecimalField("建议得分", max_digits=7, decimal_places=3)
    reason = models.TextField("理由")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填写人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now=True)

    class Meta:
        verbose_name = "偏离建议得分的理由"
        verbose_name_plural = "偏离建议得分的理由"
        constraints = [
            models.UniqueConstraint(fields=["sheet", "code"], name="departure_once"),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="departure_has_reason",
                violation_error_message="偏离建议得分必须写明理由。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet} · {self.code}"

    def audit_org_path(self) -> str:
        return self.sheet.organization.path
