"""PDF downloads and background report jobs with a progress bar."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from branches.downloads import attachment

from .. import access, reports, services
from ..models import JobStatus, ReportJob, ReportKind


def _pdf(filename: str, content: bytes) -> HttpResponse:
    return attachment(content, filename=filename, content_type="application/pdf")


@require_GET
@login_required
def sheet_report(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk)
    if services.tampered(sheet):
        messages.error(request, services.tamper_warning(sheet))
        return redirect("sheet_detail", pk=pk)
    content = reports.branch_report(sheet)
    return _pdf(f"{sheet.organization.name}-{sheet.stage.name}-考评报告.pdf", content)


@require_POST
@login_required
def report_start(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in ReportKind.values:
        raise Http404
    campaign = access.get_campaign(request.user, pk)
    job = ReportJob.objects.create(kind=kind, campaign=campaign, requested_by=request.user)
    from ..tasks import render_report

    render_report.enqueue(job_id=str(job.pk))
    return redirect("report_job", pk=job.pk)


def _job(request: HttpRequest, pk) -> ReportJob:
    job = (
        ReportJob.objects.select_related("campaign")
        .filter(pk=pk, requested_by=request.user)
        .first()
    )
    if job is None:
        raise Http404("报告任务不存在")
    return job


@require_GET
@login_required
def report_job(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "assessments/report_job.html", {"job": _job(request, pk)})


@require_GET
@login_required
def report_job_status(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "assessments/_report_progress.html", {"job": _job(request, pk)})


@require_GET
@login_required
def report_download(request: HttpRequest, pk) -> HttpResponse:
    job = _job(request, pk)
    if job.status != JobStatus.DONE or not job.file:
        raise Http404("报告尚未生成")
    with job.file.open("rb") as handle:
        content = handle.read()
    if job.kind == ReportKind.BRANCH_ZIP:
        return attachment(
            content,
            filename=f"{job.campaign.name}-全部支部考评报告.zip",
            content_type="application/zip",
        )
    return _pdf(f"{job.campaign.name}-{job.get_kind_display()}.pdf", content)
