"""PDF downloads and background report jobs with a progress bar."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from branches.toolkit.downloads import attachment, download_name
from branches.toolkit.http import AuthenticatedHttpRequest
from rubrics.selectors import readable_version

from .. import access, health, reports, selectors, services
from ..models import ReportKind
from ..services import AssessmentError


def _pdf(filename: str, content: bytes) -> HttpResponse:
    return attachment(content, filename=filename, content_type="application/pdf")


@require_GET
@login_required
def sheet_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk)
    if services.tampered(sheet):
        messages.error(request, services.tamper_warning(sheet))
        return redirect("sheet_detail", pk=pk)
    content = reports.branch_report(sheet, by=request.user)
    return _pdf(f"{sheet.organization.name}-{sheet.stage.name}-考评报告.pdf", content)


@require_GET
@login_required
def sheet_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The sheet on A4 as it stands, to read or sign on site."""
    sheet = selectors.sheet_page(access.get_sheet(request.user, pk))
    if services.tampered(sheet):
        messages.error(request, services.tamper_warning(sheet))
        return redirect("sheet_detail", pk=pk)
    content = reports.filled_sheet_pdf(sheet)
    return _pdf(f"{sheet.organization.name}-{sheet.stage.name}-评分表.pdf", content)


@require_GET
@login_required
def blank_sheet(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    """A version's empty score sheet on A4, for a review on paper."""
    version = readable_version(request.user, code, number)
    if version is None:
        raise Http404("考评标准版本不存在")
    content = reports.blank_sheet_pdf(version)
    return _pdf(f"{version.rubric.name}-第{version.number}版-空白评分表.pdf", content)


@require_POST
@login_required
def report_start(request: AuthenticatedHttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in ReportKind.values:
        raise Http404
    campaign = access.get_campaign(request.user, pk)
    try:
        job = services.request_report(campaign, by=request.user, kind=kind)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect("campaign_results", pk=pk)
    return redirect("report_job", pk=job.pk)


def _job_context(job) -> dict:
    # A job waiting while no worker beats is said to wait for the worker, not just "排队中".
    worker = health.check_worker(database_ok=True) if job.is_pending else None
    return {"job": job, "worker_down": worker is not None and not worker.ok}


@require_GET
@login_required
def report_job(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    job = access.get_report_job(request.user, pk)
    return render(request, "assessments/report_job.html", _job_context(job))


@require_GET
@login_required
def report_job_status(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    job = access.get_report_job(request.user, pk)
    return render(request, "assessments/_report_progress.html", _job_context(job))


@require_GET
@login_required
def report_download(request: AuthenticatedHttpRequest, pk) -> HttpResponse | FileResponse:
    job = access.get_report_job(request.user, pk)
    if not job.is_done or not job.file:
        raise Http404("报告尚未生成")
    if job.is_zip:
        # Streamed from storage in chunks: a zip of every branch's report may be gigabytes.
        return FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=download_name(f"{job.campaign.name}-全部支部考评报告.zip"),
            content_type="application/zip",
        )
    with job.file.open("rb") as handle:
        content = handle.read()
    return _pdf(f"{job.campaign.name}-{job.get_kind_display()}.pdf", content)


@require_POST
@login_required
def report_retry(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    job = access.get_report_job(request.user, pk)
    try:
        services.retry_report(job, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    return redirect("report_job", pk=job.pk)
