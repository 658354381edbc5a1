from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import access
from branches.access import Perm
from branches.downloads import attachment, export_download
from branches.models import Organization, Role, User
from branches.params import int_param, text_param
from branches.spreadsheets import XLSX_CONTENT_TYPE, SpreadsheetError
from rubrics import scoring

from .. import offline, selectors, services
from ..forms import (
    CampaignForm,
    DeadlineForm,
    EvidenceForm,
    OfflineUploadForm,
    PickPeopleForm,
    ReasonForm,
    ReassignForm,
)
from ..models import Assessor, Draw, Evidence, SheetStatus, Stage
from ..services import AssessmentError, Conflict
from . import send_upload


def _reviewers():
    return (
        User.objects.filter(is_active=True, memberships__role=Role.REVIEWER)
        .distinct()
        .order_by("username")
    )


# -- campaigns -----------------------------------------------------------------------------


@require_GET
@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.VIEW_RESULTS)
    campaigns = selectors.visible_campaigns(request.user).select_related(
        "rubric_version__rubric", "scope"
    )
    return render(
        request,
        "assessments/campaign_list.html",
        {
            "page": Paginator(campaigns, 30).get_page(request.GET.get("page")),
            "can_manage": access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.MANAGE_CAMPAIGNS)
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(
                by=request.user,
                name=data["name"],
                version=data["version"],
                scope=data["scope"],
                year=data["year"],
                quarter=data["quarter"],
                template=data["template"],
                start=data["start"],
                committee_version=data["committee_version"],
                threshold=data["threshold"],
                kinds=data["kinds"],
            )
        except AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已创建“{campaign.name}”。请核对各阶段日期后开始考评。")
            return redirect("campaign_detail", pk=campaign.pk)
    return render(request, "assessments/campaign_form.html", {"form": form})


@require_GET
@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk)
    stages = list(campaign.stages.prefetch_related("draws", "pairs__reviewer", "pairs__reviewed"))
    return render(
        request,
        "assessments/campaign_detail.html",
        {
            "campaign": campaign,
            "rows": list(zip(stages, selectors.progress(campaign), strict=True)),
            "can_manage": access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS, campaign.scope),
            "target_count": services.targets(campaign).count(),
            "deadline_form": DeadlineForm(),
            "draw_problems": selectors.draw_problems(campaign, stages),
        },
    )


def _opened_message(campaign) -> str:
    """What opening actually created: sheets per stage, or what comes next."""
    created = [
        f"“{stage.name}”{n} 份"
        + ("（已发给各支部书记）" if stage.assessor == Assessor.BRANCH else "")
        for stage, n in selectors.sheets_by_stage(campaign)
        if n
    ]
    if created:
        return "考评活动已开始。已生成考评表：" + "，".join(created) + "。"
    return "考评活动已开始。尚未生成考评表：请在各阶段分配考评员或抽样后生成。"


@require_POST
@login_required
def campaign_open(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk, Perm.MANAGE_CAMPAIGNS)
    try:
        warnings = services.open_campaign(campaign, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _opened_message(campaign))
        for warning in warnings:
            messages.warning(request, warning)
    return redirect("campaign_detail", pk=pk)


@require_GET
@login_required
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk)
    enterprise = int_param(request, "enterprise")
    status = text_param(request, "status", max_length=20)
    q = text_param(request, "q")
    sheets = campaign.sheets.select_related("stage", "organization", "assessor").order_by(
        "stage__position", "organization__path"
    )
    if enterprise:
        sheets = sheets.filter(organization__enterprise_id=enterprise)
    if status == "overdue":
        sheets = sheets.overdue()
    elif status:
        sheets = sheets.filter(status=status)
    if q:
        from django.db.models import Q

        sheets = sheets.filter(Q(organization__name__icontains=q) | Q(assessor__name__icontains=q))
    enterprises = Organization.objects.filter(
        pk__in=services.targets(campaign).values("enterprise")
    ).order_by("path")
    if request.GET.get("format") == "xlsx":
        from ..exports import ProgressExport

        return export_download(ProgressExport(by=request.user, campaign=campaign, queryset=sheets))
    return render(
        request,
        "assessments/progress.html",
        {
            "campaign": campaign,
            "progress": selectors.progress(
                campaign, enterprise=enterprise, status="" if status == "overdue" else status, q=q
            ),
            "page": Paginator(sheets, 50).get_page(request.GET.get("page")),
            "enterprises": enterprises,
            "enterprise": enterprise,
            "status": status,
            "q": q,
            "statuses": SheetStatus.choices,
            "can_manage": access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS, campaign.scope),
        },
    )


@require_POST
@login_required
def campaign_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    """补发: self-assessment sheets for branches whose secretary was granted later."""
    campaign = selectors.get_campaign(request.user, pk, Perm.MANAGE_CAMPAIGNS)
    try:
        created, warnings = services.reissue_self_sheets(campaign, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已补发 {created} 份自评表。")
        for warning in warnings:
            messages.warning(request, warning)
    return redirect("campaign_progress", pk=pk)


@require_POST
@login_required
def campaign_remind(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk, Perm.MANAGE_CAMPAIGNS)
    from ..tasks import send_reminders

    send_reminders.enqueue(campaign_id=campaign.pk)
    messages.success(request, "已安排发送催办提醒邮件给尚未提交的打分人。")
    return redirect("campaign_progress", pk=pk)


# -- stages --------------------------------------------------------------------------------


def _get_stage(request: HttpRequest, pk: int) -> Stage:
    stage = get_object_or_404(Stage.objects.select_related("campaign__scope"), pk=pk)
    selectors.get_campaign(request.user, stage.campaign_id, Perm.MANAGE_CAMPAIGNS)
    return stage


@require_http_methods(["GET", "POST"])
@login_required
def stage_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Department review: pick reviewers, spread the branches evenly; or run the draw."""
    stage = _get_stage(request, pk)
    form = PickPeopleForm(request.POST or None, queryset=_reviewers())
    if request.method == "POST":
        try:
            if stage.assessor == Assessor.CROSS_GROUP:
                record = services.draw_cross_review(stage, by=request.user)
                messages.success(request, f"已抽样（种子 {record.seed}）并生成互评考评表。")
                return redirect("draw_detail", pk=record.pk)
            if form.is_valid():
                people = list(form.cleaned_data["people"])
                if stage.assessor == Assessor.INSPECTORS:
                    record = services.draw_spot_check(stage, by=request.user, inspectors=people)
                    messages.success(request, f"已抽样（种子 {record.seed}）并分配抽查组。")
                    return redirect("draw_detail", pk=record.pk)
                sheets = services.assign_reviewers(stage, by=request.user, reviewers=people)
                messages.success(request, f"已分配 {len(sheets)} 份考评表。")
                return redirect("campaign_progress", pk=stage.campaign_id)
        except AssessmentError as exc:
            messages.error(request, str(exc))
    return render(request, "assessments/stage_assign.html", {"stage": stage, "form": form})


@require_POST
@login_required
def stage_deadline(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _get_stage(request, pk)
    form = DeadlineForm(request.POST)
    if form.is_valid():
        try:
            services.extend_deadline(stage, by=request.user, deadline=form.cleaned_data["deadline"])
        except AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"“{stage.name}”截止日期已改为 {form.cleaned_data['deadline']}。"
            )
    else:
        messages.error(request, "请填写有效的日期。")
    return redirect("campaign_detail", pk=stage.campaign_id)


@require_GET
@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Draw.objects.select_related("stage__campaign", "created_by"), pk=pk)
    campaign = selectors.get_campaign(request.user, record.stage.campaign_id)
    redrawn = services.redraw(record)
    return render(
        request,
        "assessments/draw_detail.html",
        {
            "record": record,
            "campaign": campaign,
            "matches": redrawn == record.selected,
            **selectors.draw_details(record),
        },
    )


# -- sheets --------------------------------------------------------------------------------


def _sheet_context(request: HttpRequest, sheet, rules, result=None, errors=None, posted=None):
    others = selectors.other_sheets(sheet, viewer=request.user)
    user = request.user
    mine = sheet.assessor_id == user.pk
    if result is None:
        result = scoring.score(rules, services.entry_for(sheet, rules), complete=False)
    events = list(sheet.events.select_related("actor"))
    returned = [e for e in events if e.to_status == SheetStatus.RETURNED]
    return {
        "sheet": sheet,
        "tamper_warnings": [
            services.tamper_warning(s) for s in [sheet, *others] if services.tampered(s)
        ],
        "rules": rules,
        "others": others,
        "sections": selectors.sheet_rows(sheet, rules, others, posted=posted),
        "result": result,
        "errors": errors or {},
        "editable": mine and sheet.editable,
        "checklist": rules.method == scoring.CHECKLIST,
        "can_submit": mine and sheet.editable,
        "can_return": sheet.status == SheetStatus.SUBMITTED and services.can_return(sheet, user),
        "can_sign": sheet.status == SheetStatus.SUBMITTED
        and access.has_perm(user, Perm.MANAGE_CAMPAIGNS, sheet.organization),
        "can_reopen": sheet.status == SheetStatus.SIGNED
        and access.has_perm(user, Perm.MANAGE_CAMPAIGNS, sheet.organization),
        "can_reassign": sheet.editable
        and access.has_perm(user, Perm.MANAGE_CAMPAIGNS, sheet.organization),
        "events": events,
        "return_event": returned[-1] if returned and sheet.status == SheetStatus.RETURNED else None,
        "reason_form": ReasonForm(),
        "reassign_form": ReassignForm(queryset=_reviewers()),
        "evidence_form": EvidenceForm(),
        "upload_form": OfflineUploadForm(),
    }


def _load(sheet):
    from django.db.models import Prefetch

    from ..models import ScoreSheet

    return (
        ScoreSheet.objects.select_related(
            "stage",
            "campaign__scope",
            "organization",
            "assessor",
            "rubric_version__rubric",
            "signed_by",
        )
        .prefetch_related(
            "entries",
            "vetoes",
            Prefetch("evidence", queryset=Evidence.objects.order_by("pk")),
        )
        .get(pk=sheet.pk)
    )


@require_GET
@login_required
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _load(selectors.get_sheet(request.user, pk))
    rules = services.sheet_rules(sheet)
    return render(request, "assessments/sheet.html", _sheet_context(request, sheet, rules))


def _posted(request: HttpRequest, rules) -> tuple[dict, dict, dict]:
    values, notes, vetoes = {}, {}, {}
    for item in rules.items():
        if item.kind == scoring.VETO:
            if request.POST.get(f"veto_{item.code}"):
                vetoes[item.code] = request.POST.get(f"facts_{item.code}", "")
            continue
        for code in [p.code for p in item.parts] or [item.code]:
            if f"v_{code}" in request.POST:
                values[code] = request.POST.get(f"v_{code}", "")
                notes[code] = request.POST.get(f"n_{code}", "")
    return values, notes, vetoes


@require_POST
@login_required
def sheet_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx autosave: returns the status panel (running total, grade, reasons, errors)."""
    sheet = selectors.get_sheet(request.user, pk)
    if sheet.assessor_id != request.user.pk:
        raise PermissionDenied
    rules = services.sheet_rules(sheet)
    values, notes, vetoes = _posted(request, rules)
    revision = int_param(request, "revision", -1, minimum=0, data=request.POST)
    try:
        saved = services.save_entries(
            sheet,
            by=request.user,
            revision=revision,
            values=values,
            notes=notes,
            vetoes=vetoes,
            note=request.POST.get("note", ""),
        )
    except Conflict as exc:
        return render(
            request,
            "assessments/_sheet_status.html",
            _conflict_context(sheet, exc, values, notes, vetoes),
            status=409,
        )
    except AssessmentError as exc:
        return render(
            request,
            "assessments/_sheet_status.html",
            {"conflict": str(exc), "sheet": sheet},
            status=409,
        )
    return render(
        request,
        "assessments/_sheet_status.html",
        {
            "sheet": sheet,
            "result": saved.result,
            "errors": saved.errors,
            "revision": saved.revision,
            "saved": True,
        },
    )


def _conflict_context(sheet, exc: Conflict, values: dict, notes: dict, vetoes: dict) -> dict:
    """The status panel for a save conflict: only the lines that differ, both values, and
    the current revision so the person can keep their input knowingly."""
    sheet.refresh_from_db(fields=["revision", "status"])
    return {
        "conflict": str(exc),
        "sheet": sheet,
        "differences": services.differences(sheet, values=values, notes=notes, vetoes=vetoes),
        "current_revision": sheet.revision,
    }


def _submit_conflict(request: HttpRequest, sheet, rules, exc: Conflict, posted) -> HttpResponse:
    """A submit that lost a race: show what differs and keep every typed value and note."""
    context = _conflict_context(sheet, exc, *posted)
    if request.headers.get("HX-Request"):
        response = render(request, "assessments/_sheet_status.html", context, status=409)
        response["HX-Retarget"] = "#sheet-status"
        response["HX-Reswap"] = "outerHTML"
        return response
    sheet = _load(sheet)
    sheet.note = request.POST.get("note", sheet.note)  # shown as typed, not saved
    page = _sheet_context(request, sheet, rules, posted=posted)
    return render(request, "assessments/sheet.html", {**context, **page}, status=409)


def _back_to_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """A redirect to the sheet; htmx requests get it as HX-Redirect (a full page load)."""
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": reverse("sheet_detail", args=[pk])})
    return redirect("sheet_detail", pk=pk)


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    try:
        message = action(sheet)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("sheet_detail", pk=pk)


@require_POST
@login_required
def sheet_submit(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    if sheet.assessor_id != request.user.pk:
        raise PermissionDenied
    rules = services.sheet_rules(sheet)
    values, notes, vetoes = _posted(request, rules)
    try:
        if "revision" in request.POST:
            try:
                services.save_entries(
                    sheet,
                    by=request.user,
                    revision=int_param(request, "revision", -1, minimum=0, data=request.POST),
                    values=values,
                    notes=notes,
                    vetoes=vetoes,
                    note=request.POST.get("note", ""),
                )
            except Conflict as exc:
                # Submitted while its own autosave was in flight: fine if nothing differs.
                if not services.matches_stored(sheet, values, vetoes):
                    return _submit_conflict(request, sheet, rules, exc, (values, notes, vetoes))
        submitted = services.submit_sheet(sheet, by=request.user)
    except (AssessmentError, ValueError) as exc:
        messages.error(request, str(exc))
        return _back_to_sheet(request, pk)
    late = "（已逾期）" if submitted.late else ""
    messages.success(
        request,
        f"已提交{late}。得分 {scoring.fmt(submitted.total)}"
        f"{'，' + submitted.grade if submitted.grade else ''}。",
    )
    return _back_to_sheet(request, pk)


@require_POST
@login_required
def sheet_return(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    if not services.can_return(sheet, request.user):
        raise PermissionDenied
    form = ReasonForm(request.POST)
    reason = form.data.get("reason", "")
    return _act(
        request,
        pk,
        lambda s: (
            services.return_sheet(s, by=request.user, reason=reason),
            "已退回，打分人将在首页看到退回原因。",
        )[1],
    )


@require_POST
@login_required
def sheet_sign(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    if not access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        raise PermissionDenied
    return _act(
        request,
        pk,
        lambda s: (services.sign_sheet(s, by=request.user), "已审核签发，该表已锁定。")[1],
    )


@require_POST
@login_required
def sheet_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    if not access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        raise PermissionDenied
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        lambda s: (
            services.reopen_sheet(s, by=request.user, reason=reason),
            "已重新打开，打分人可以修改后再次提交。",
        )[1],
    )


@require_POST
@login_required
def sheet_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    if not access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        raise PermissionDenied
    form = ReassignForm(request.POST, queryset=_reviewers())
    if not form.is_valid():
        messages.error(request, "请选择改派的考评员。")
        return redirect("sheet_detail", pk=pk)
    assessor = form.cleaned_data["assessor"]
    return _act(
        request,
        pk,
        lambda s: (
            services.reassign_sheet(s, by=request.user, assessor=assessor),
            f"已改派给 {assessor}。",
        )[1],
    )


@require_GET
@login_required
def sheet_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _load(selectors.get_sheet(request.user, pk))
    if services.tampered(sheet):
        messages.error(request, services.tamper_warning(sheet))
        return redirect("sheet_detail", pk=pk)
    filename, content = offline.download(sheet)
    return attachment(content, filename=filename, content_type=XLSX_CONTENT_TYPE)


@require_POST
@login_required
def sheet_upload(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    if sheet.assessor_id != request.user.pk:
        raise PermissionDenied
    form = OfflineUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        refused = "file" in request.FILES and form.errors.get("file")
        messages.error(request, refused[0] if refused else "请选择填好的 .xlsx 评分表。")
        return redirect("sheet_detail", pk=pk)
    upload = form.cleaned_data["file"]
    from django.conf import settings

    if upload.size > settings.IMPORT_MAX_BYTES:
        messages.error(request, "文件过大。")
        return redirect("sheet_detail", pk=pk)
    try:
        saved = offline.upload(sheet, by=request.user, content=upload.read())
    except (AssessmentError, SpreadsheetError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已导入离线评分表。当前得分 {scoring.fmt(saved.result.total)}。")
    return redirect("sheet_detail", pk=pk)


@require_POST
@login_required
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.get_sheet(request.user, pk)
    if sheet.assessor_id != request.user.pk:
        raise PermissionDenied
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的文件。")
        return redirect("sheet_detail", pk=pk)
    upload = form.cleaned_data["file"]
    if upload.size > services.EVIDENCE_MAX_BYTES:
        messages.error(request, f"文件过大（{upload.size / 1024 / 1024:.1f} MB），上限为 10 MB。")
        return redirect("sheet_detail", pk=pk)
    return _act(
        request,
        pk,
        lambda s: (
            services.add_evidence(
                s,
                by=request.user,
                code=form.cleaned_data["code"],
                name=upload.name,
                content=upload.read(),
            ),
            f"已上传“{upload.name}”。",
        )[1],
    )


def _get_evidence(request: HttpRequest, pk: int) -> Evidence:
    evidence = get_object_or_404(Evidence.objects.select_related("sheet"), pk=pk)
    selectors.get_sheet(request.user, evidence.sheet_id)  # 404 unless the sheet is visible
    return evidence


@require_GET
@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    return send_upload(_get_evidence(request, pk))


@require_POST
@login_required
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _get_evidence(request, pk)
    if evidence.sheet.assessor_id != request.user.pk:
        raise PermissionDenied
    sheet_id = evidence.sheet_id
    return _act(
        request,
        sheet_id,
        lambda s: (services.delete_evidence(evidence, by=request.user), "已删除材料。")[1],
    )


@require_http_methods(["GET", "POST"])
@login_required
def stage_edit(
    request: HttpRequest, pk: int | None = None, campaign_pk: int | None = None
) -> HttpResponse:
    """Add or change a stage of a campaign that has not started yet."""
    from ..forms import StageForm

    if pk is not None:
        stage = _get_stage(request, pk)
        campaign = stage.campaign
    else:
        stage = None
        campaign = selectors.get_campaign(request.user, campaign_pk, Perm.MANAGE_CAMPAIGNS)
    draw_only = campaign.status != "draft" and stage is not None
    form = StageForm(request.POST or None, instance=stage, draw_only=draw_only)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_stage(campaign, by=request.user, data=form.cleaned_data, stage=stage)
        except AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存阶段。")
            return redirect("campaign_detail", pk=campaign.pk)
    return render(
        request, "assessments/stage_form.html", {"form": form, "stage": stage, "campaign": campaign}
    )


@require_POST
@login_required
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _get_stage(request, pk)
    try:
        services.delete_stage(stage, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除阶段“{stage.name}”。")
    return redirect("campaign_detail", pk=stage.campaign_id)
