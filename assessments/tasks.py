"""Background work (django.tasks with the django-tasks-db backend; `make run` starts the
worker)."""

import tempfile

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from branches.toolkit.retry import retry_locked

from .models import EDITABLE, CampaignStatus, ScoreSheet


@task()
@retry_locked
def send_reminders(
    *,
    campaign_id: int,
    user_ids: list[int] | None = None,
    late_only: bool = False,
    batch: str = "",
) -> int:
    """催办: a notice to each assessor who still has sheets to fill or fix in the campaign
    (only the people ``user_ids`` names, only late sheets with ``late_only``), by email too
    where they have an address, and to the messengers' robots where they are configured;
    ``batch`` names this 催办 (one notice per person per 催办).
    Returns how many people got a notice."""
    from django.urls import reverse

    from .models import NoticeKind
    from .notices.services import Draft, deliver
    from .notices.tasks import queue_pushes

    sheets = ScoreSheet.objects.filter(
        campaign_id=campaign_id, status__in=EDITABLE, campaign__status=CampaignStatus.OPEN
    ).select_related("assessor", "organization", "stage", "campaign")
    if user_ids is not None:
        sheets = sheets.filter(assessor_id__in=user_ids)
    if late_only:
        sheets = sheets.overdue()
    by_person: dict = {}
    for sheet in sheets:
        by_person.setdefault(sheet.assessor, []).append(sheet)
    drafts = []
    for person, own in by_person.items():
        lines = [
            f"· {s.organization.name}（{s.stage.name}），截止 {s.stage.deadline:%Y-%m-%d}"
            + ("，已逾期" if s.overdue else "")
            + ("，已退回待修改" if s.is_returned else "")
            for s in own
        ]
        campaign = own[0].campaign
        drafts.append(
            Draft(
                person,
                NoticeKind.REMINDER,
                f"reminder:c{campaign_id}:{batch or timezone.now().isoformat()}",
                f"催办：{campaign.name}，您有 {len(own)} 份考评表尚未提交"
                + ("（已逾期）" if late_only else "")
                + "。",
                reverse("sheet_detail", args=[own[0].pk]) if len(own) == 1 else reverse("home"),
                email_body=f"{person.name or person.username}：\n\n您有以下考评表尚未提交：\n"
                + "\n".join(lines)
                + "\n\n请登录系统办理。",
                subject=f"{campaign.name}：您有 {len(own)} 份考评表待办",
            )
        )
    return len(queue_pushes(deliver(drafts)).notified)


@task()
@retry_locked
def issue_branch_reports(*, sheet_ids: list[int], by_id: int) -> int:
    """Issue and store the reports of signed sheets (the signer takes their 文号), so that
    a download and the zip of all reports read stored files; how many were stored now."""
    from branches.models import User

    from .models import SheetStatus, StoredReport
    from .reports import branch_report

    by = User.objects.get(pk=by_id)
    stored = set(
        StoredReport.objects.filter(sheet_id__in=sheet_ids).values_list("sheet_id", flat=True)
    )
    sheets = ScoreSheet.objects.filter(pk__in=sheet_ids, status=SheetStatus.SIGNED).exclude(
        pk__in=stored
    )
    count = 0
    for sheet in sheets.select_related("campaign", "organization", "stage", "rubric_version"):
        branch_report(sheet, by=by)
        count += 1
    return count


def after_signing(sheets, *, by) -> None:
    """Once the signing commits: the signed sheets' reports issued on the task worker."""
    if not settings.REPORTS_ON_SIGNING or not sheets:
        return
    ids = [s.pk for s in sheets]
    transaction.on_commit(lambda: issue_branch_reports.enqueue(sheet_ids=ids, by_id=by.pk))


@task()
@retry_locked
def render_report(*, job_id: str) -> str | None:
    """Render a campaign report in the background, recording progress on the job."""
    from django.core.files.base import ContentFile, File

    from .models import JobStatus, ReportJob
    from .reports import render_summary, write_branch_zip

    job = ReportJob.objects.select_related("campaign__scope", "requested_by").get(pk=job_id)

    def progress(percent: int, message: str) -> None:
        ReportJob.objects.filter(pk=job.pk).update(
            progress=percent, message=message, status=JobStatus.RUNNING
        )

    progress(1, "开始")
    try:
        if job.is_zip:
            # Zipped into a temporary file one report at a time, then copied to storage
            # in chunks: the zip is never held in memory.
            with tempfile.TemporaryFile() as handle:
                write_branch_zip(job.campaign, handle, progress=progress, by=job.requested_by)
                progress(97, "保存")
                handle.seek(0)
                job.file.save(f"{job.kind}.zip", File(handle), save=False)
        else:
            # The register gives the report its 文号, taken by the one who asked for it.
            content = render_summary(
                job.campaign, kind=job.kind, progress=progress, by=job.requested_by
            )
            job.file.save(f"{job.kind}.pdf", ContentFile(content), save=False)
    except Exception as exc:  # the requester is told why, not left waiting
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            message=f"生成失败：{type(exc).__name__}: {exc}"[:300],
            finished_at=timezone.now(),
        )
        raise
    ReportJob.objects.filter(pk=job.pk).update(
        file=job.file.name,
        status=JobStatus.DONE,
        progress=100,
        message="已完成",
        finished_at=timezone.now(),
    )
    return job.file.name
