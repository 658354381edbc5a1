"""`manage.py sweep_notices`: deliver now the notices of every pending event (the worker
does it every hour); running it twice writes nothing new."""

from django.core.management.base import BaseCommand

from assessments.notices.services import SOURCES, sweep
from assessments.notices.tasks import queue_pushes


class Command(BaseCommand):
    help = "Deliver the notices of every event that asks someone to act (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kinds", nargs="*", choices=[str(k) for k in SOURCES], default=None)

    def handle(self, *args, kinds, **options) -> None:
        delivery = queue_pushes(sweep(kinds or None))
        self.stdout.write(
            f"站内通知 {len(delivery.notified)} 人，其中邮件 {len(delivery.emailed)} 人；"
            f"企业微信、钉钉推送 {len(delivery.pushes)} 条已交任务队列。"
        )
