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
        label = f"{self.get_kind_display()}："
        # Some texts already open with their kind (催办：…): never "催办：催办：".
        return (self.text if self.text.startswith(label) else label + self.text)[:43]


class Channel(models.TextChoices):
    """The messengers a notice is pushed to besides the product and email: each one's group
    robot (a webhook URL from the environment)."""

    WECOM = "wecom", "企业微信"
    DINGTALK = "dingtalk", "钉钉"


class PushStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已送达"
    FAILED = "failed", "发送失败"


class NoticePush(models.Model):
    """A notice pushed to one messenger's robot: written with the notice, sent by the task
    worker, retried with back-off until the robot accepts it or the attempts run out."""

    notice = models.ForeignKey(
        Notice, verbose_name="通知", on_delete=models.CASCADE, related_name="pushes"
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel)
    status = models.CharField("状态", max_length=10, choices=PushStatus, default=PushStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    claimed_at = models.DateTimeField("开始发送", null=True, blank=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    created = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "消息推送"
        verbose_name_plural = "消息推送"
        ordering = ["-created", "-pk"]
        constraints = [
            # Idempotent push: a notice goes to each messenger once.
            models.UniqueConstraint(fields=["notice", "channel"], name="push_once_per_channel"),
        ]
        indexes = [
            # The worker's and the sweep's "due now".
            models.Index(fields=["status", "next_attempt_at"], name="push_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}：{self.get_status_display()}"
