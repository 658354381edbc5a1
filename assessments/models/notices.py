"""Notices inside the product (站内通知): one row per person per event that asks them to act.

The event's ``key`` names it once (a returned sheet's return, a sheet's deadline, an
organization's term end…): a person never gets two notices for the same event, however
often the sweep runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class NoticeKind(models.TextChoices):
    ASSIGNED = "assigned", "新任务"
    RETURNED = "returned", "退回修改"
    DUE_SOON = "due_soon", "即将截止"
    OVERDUE = "overdue", "已逾期"
    TERM_DUE = "term_due", "换届提醒"
    INTERVIEW = "interview", "约谈"
    VERIFY = "verify", "待核实销号"
    REMINDER = "reminder", "催办"


class Notice(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notices",
    )
    kind = models.CharField("类型", max_length=20, choices=NoticeKind)
    key = models.CharField("事件", max_length=120)
    text = models.CharField("内容", max_length=300)
    link = models.CharField("链接", max_length=300, blank=True)
    created = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed = models.BooleanField("已发邮件", default=False)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created", "-pk"]
        constraints = [
            # Idempotent delivery: one notice per person per event.
            models.UniqueConstraint(fields=["recipient", "key"], name="notice_once_per_event"),
        ]
        indexes = [
            # The header's unread count.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notice_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.text[:40]}"
