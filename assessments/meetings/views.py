"""Organizational-life records: a branch's calendar, announcing and recording meetings,
checking (locking) and amending them, the year in Excel, the department's view across
branches, and the assessor's reason for departing from a score the records suggest."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import access as org_access
from branches import importing
from branches.access import Perm
from branches.forms import UploadForm
from branches.meeting_kinds import MEETING_KINDS
from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.paging import list_page
from branches.toolkit.params import int_param, text_param
from branches.toolkit.periods import quarter_of
from branches.toolkit.spreadsheets import SpreadsheetError

from .. import access
from ..access import Action
from ..forms import RectificationEvidenceForm
from ..models import Meeting
from ..selectors import sheet_rules
from ..services import AssessmentError, record_departure
from ..views import send_upload
from . import services
from .exports import KIND, MeetingExport, MeetingGapExport
from .forms import AmendmentForm, DepartureForm, MeetingForm
from .selectors import (
    active_members,
    branch_calendar,
    department_view,
    overview_branches,
    page_view,
    sheet_suggestions,
)


def _year(request: HttpRequest) -> int:
    return int_param(request, "year", timezone.localdate().year, minimum=2000, maximum=2100)


@require_GET
@login_required
def meeting_calendar(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_meeting_org(request.user, pk)
    year = _year(request)
    quarter = int_param(request, "quarter", 0, minimum=0, maximum=4)
    if request.GET.get("format") == "xlsx":
        return export_download(MeetingExport(by=request.user, org=org, year=year))
    return render(
        request,
        "assessments/meeting_calendar.html",
        {
            "org": org,
            "year": year,
            "quarter": quarter,
            "years": range(timezone.localdate().year, 2019, -1),
            **branch_calendar(org, year, quarter or None),
            "can_record": access.can_record_meetings(request.user, org),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def meeting_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_meeting_org(request.user, pk, change=True)
    members = active_members(org)
    form = MeetingForm(
        request.POST or None, members=members, initial={"kind": request.GET.get("kind", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.save_meeting(
                org, by=request.user, values=form.values(), attendance=form.attendance()
            )
        except AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            done = "已登记" if meeting.held_on else "已预告"
            messages.success(request, f"{done}：{meeting.get_kind_display()}“{meeting.topic}”。")
            return redirect("meeting_detail", pk=meeting.pk)
    return render(
        request,
        "assessments/meeting_form.html",
        {"org": org, "form": form, "title": "预告或登记会议", "kinds": MEETING_KINDS},
    )


def _form_initial(meeting) -> dict:
    initial = {
        "kind": meeting.kind,
        "planned_on": meeting.planned_on,
        "held_on": meeting.held_on,
        "place": meeting.place,
        "topic": meeting.topic,
        "host": meeting.host,
        "minutes": meeting.minutes,
    }
    for a in meeting.attendance.all():
        initial[f"absent_{a.member_id}"] = not a.present
        initial[f"reason_{a.member_id}"] = a.reason
    return initial


@require_GET
@login_required
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, access.get_meeting(request.user, pk))


def _meeting_page(
    request: AuthenticatedHttpRequest, meeting: Meeting, form: MeetingForm | None = None
) -> HttpResponse:
    """The record's page; a refused edit comes back in it with what was typed."""
    org = meeting.organization
    can_record = access.can_record_meetings(request.user, org)
    if form is None and can_record:
        form_class = AmendmentForm if meeting.is_locked else MeetingForm
        form = form_class(initial=_form_initial(meeting), members=active_members(org))
    return render(
        request,
        "assessments/meeting_detail.html",
        {
            "meeting": meeting,
            "org": org,
            "year": meeting.day.year,
            "attendance": meeting.attendance.select_related("member").order_by("member__name"),
            "attachments": meeting.attachments.all(),
            "amendments": meeting.amendments.select_related("by"),
            "can_record": can_record,
            "can_check": access.can_check_meetings(request.user, org) and meeting.status == "held",
            "form": form if can_record else None,
        },
    )


@require_POST
@login_required
def meeting_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = access.get_meeting(request.user, pk, Action.EDIT)
    org = meeting.organization
    locked = meeting.is_locked
    form = (AmendmentForm if locked else MeetingForm)(request.POST, members=active_members(org))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0])[:200])
        return _meeting_page(request, meeting, form)
    try:
        if locked:
            services.amend_meeting(
                meeting,
                by=request.user,
                reason=form.cleaned_data["reason"],
                values=form.values(),
                attendance=form.attendance(),
            )
        else:
            services.save_meeting(
                org,
                by=request.user,
                values=form.values(),
                attendance=form.attendance(),
                meeting=meeting,
            )
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _meeting_page(request, meeting, form)
    messages.success(request, "已登记更正。" if locked else "已保存。")
    return redirect("meeting_detail", pk=pk)


@require_POST
@login_required
def meeting_check(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = access.get_meeting(request.user, pk, Action.VERIFY)
    try:
        services.check_meeting(meeting, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已审核，记录已锁定；此后的修改须登记更正。")
    return redirect("meeting_detail", pk=pk)


@require_POST
@login_required
def meeting_attachment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = access.get_meeting(request.user, pk, Action.EDIT)
    form = RectificationEvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, str(form.errors["file"][0]))
        return redirect("meeting_detail", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        services.add_meeting_attachment(
            meeting, by=request.user, name=upload.name, content=upload.read()
        )
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已上传“{upload.name}”。")
    return redirect("meeting_detail", pk=pk)


@require_GET
@login_required
def meeting_attachment_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return send_upload(access.get_meeting_attachment(request.user, pk))


@require_http_methods(["GET", "POST"])
@login_required
def meeting_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_meeting_org(request.user, pk, change=True)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.start_import(
                by=request.user,
                kind=KIND,
                filename=upload.name,
                content=upload.read(),
                target_id=org.pk,
            )
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("import_preview", pk=job.pk)
    return render(
        request,
        "assessments/meeting_import.html",
        {"org": org, "form": form, "year": _year(request)},
    )


@require_GET
@login_required
def meeting_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The department's view: which branches missed which meetings in the period."""
    org_access.require(request.user, Perm.VIEW_RESULTS)
    today = timezone.localdate()
    year = _year(request)
    quarter = int_param(request, "quarter", quarter_of(today)[1], minimum=0, maximum=4)
    scope = org_access.visible_orgs(request.user, Perm.VIEW_RESULTS)
    if request.GET.get("format") == "xlsx":
        gaps = department_view(scope, year, quarter or None)
        return export_download(
            MeetingGapExport(by=request.user, year=year, quarter=quarter or None, gaps=gaps)
        )
    q = text_param(request, "q")
    page = list_page(request, overview_branches(scope, q=q))
    # Only the page's branches are read and worked out: the page costs the same whatever
    # the number of branches in scope.
    gaps = page_view(page.object_list, year, quarter or None)
    return render(
        request,
        "assessments/meeting_overview.html",
        {
            "gaps": gaps,
            "page": page,
            "q": q,
            "year": year,
            "quarter": quarter,
            "years": range(today.year, 2019, -1),
            "missing_count": sum(1 for g in gaps if g.missing),
        },
    )


@require_POST
@login_required
def sheet_departure(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The assessor writes why an item scored from records departs from the suggestion."""
    sheet = access.get_sheet(request.user, pk, Action.SCORE)
    form = DepartureForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请写明偏离建议得分的理由。")
        return redirect("sheet_detail", pk=pk)
    code = form.cleaned_data["code"]
    rules = sheet_rules(sheet)
    found = {
        s.code: s for s in sheet_suggestions(sheet, rules, sheet.rubric_version.record_requirements)
    }.get(code)
    if found is None or found.suggestion is None:
        messages.error(request, f"指标 {code} 没有依据会议记录的建议得分。")
        return redirect("sheet_detail", pk=pk)
    try:
        record_departure(
            sheet,
            by=request.user,
            code=code,
            suggested=found.suggestion.value,
            reason=form.cleaned_data["reason"],
        )
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已记录指标 {code} 偏离建议得分的理由。")
    return redirect("sheet_detail", pk=pk)
