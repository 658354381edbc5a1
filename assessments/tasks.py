"""Background work (django.tasks with the django-tasks-db backend; `make run` starts the
worker)."""

from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone

from .models import EDITABLE, ScoreSheet


@task()
def send_reminders(*, campaign_id: int) -> int:
    """Email each assessor who still has sheets to fill or fix in the campaign."""
    sheets = ScoreSheet.objects.filter(
        campaign_id=campaign_id, status__in=EDITABLE, campaign__status="open"
    ).select_related("assessor", "organization", "stage", "campaign")
    by_person: dict = {}
    for sheet in sheets:
        by_person.setdefault(sheet.assessor, []).append(sheet)
    today = timezone.localdate()
    sent = 0
    for person, own in by_person.items():
        if not person.email:
            continue
        lines = [
            f"· {s.organization.name}（{s.stage.name}），截止 {s.stage.deadline:%Y-%m-%d}"
            + ("，已逾期" if s.stage.deadline < today else "")
            + ("，已退回待修改" if s.status == "returned" else "")
            for s in own
        ]
        send_mail(
            subject=f"【党支部标准化考评】{own[0].campaign.name}：您有 {len(own)} 份考评表待办",
            message=f"{person.name or person.username}：\n\n您有以下考评表尚未提交：\n"
            + "\n".join(lines)
            + "\n\n请登录系统办理。",
            from_email=None,
            recipient_list=[person.email],
        )
        sent += 1
    return sent
