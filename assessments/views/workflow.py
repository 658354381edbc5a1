from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import importing
from branches.access import Perm
from branches.toolkit.downloads import attachment, export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import int_param, text_param
from branches.toolkit.spreadsheets import XLSX_CONTENT_TYPE, SpreadsheetError
from rubrics import scoring

from .. import access, offline, pages, selectors, services, sheet_page, tasks
from ..access import Action
from ..exports import CampaignListExport
from ..forms import (
    CampaignForm,
    DeadlineForm,
    EvidenceForm,
    OfflineUploadForm,
    PickPeopleForm,
    ReasonForm,
    ReassignForm,
    ScoreSheetForm,
    SelfFillerForm,
    StageForm,
    WhyForm,
)
from ..gates import submission_blocker
from ..mechanisms.selectors import superseded_by
from ..models import Assessor, Draw, SheetStatus
from ..notices.selectors import reminder_reach
from ..services import AssessmentError, Conflict
from . import send_upload

# The campaign page names at most this many objects without a self-assessment (with the count).
SELF_GAPS_SHOWN = 100

# -- campaigns -----------------------------------------------------------------------------


@require_GET
@login_required
def campaign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.may_list_campaigns(request.user):
        raise PermissionDenied
    campaigns = selectors.campaign_list(request.user)
    if request.GET.get("format") == "xlsx":
        return export_download(CampaignListExport(by=request.user, campaigns=campaigns))
    return render(
        request,
        "assessments/campaign_list.html",
        {
            "page": Paginator(campaigns, 30).get_page(request.GET.get("page")),
            "can_manage": access.can_manage_anywhere(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def campaign_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_perm(request.user, Perm.MANAGE_CAMPAIGNS)
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(by=request.user, **form.cleaned_data)
        except AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已创建“{campaign.name}”。请核对各阶段日期后开始考评。")
            return redirect("campaign_detail", pk=campaign.pk)
    return render(request, "assessments/campaign_form.html", {"form": form})


@require_GET
@login_required
def campaign_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk, Action.OUTLINE)
    stages = selectors.campaign_stages(campaign)
    own_sheets = list(selectors.own_sheets(campaign, request.user))
    if not access.reads_campaign(request.user, campaign):
        # A reviewer: the stages and dates, and their own sheets; no one else's progress.
        return render(
            request,
            "assessments/campaign_outline.html",
            {"campaign": campaign, "stages": stages, "own_sheets": own_sheets},
        )
    return render(
        request,
        "assessments/campaign_detail.html",
        {
            "campaign": campaign,
            "own_sheets": own_sheets,
            "rows": list(zip(stages, selectors.progress(campaign), strict=True)),
            "can_manage": access.can_manage_campaign(request.user, campaign),
            "objects": selectors.object_page(campaign, request.GET.get("page")),
            "deadline_form": DeadlineForm(),
            "draw_problems": pages.draw_problems(campaign, stages),
            "ungrouped": pages.ungrouped_warning(campaign, stages),
            "has_basis": any(stage.basis for stage in stages),
            "self_gaps": (gaps := selectors.self_assessment_gaps(campaign))[:SELF_GAPS_SHOWN],
            "self_gaps_count": len(gaps),
            "Assessor": Assessor,
        },
    )


def _opened_message(campaign) -> str:
    """What opening actually created: sheets per stage, or what comes next."""
    created = [
        f"“{stage.name}”{n} 份"
        + ("（已发给各支部书记）" if stage.assessed_by == Assessor.BRANCH else "")
        for stage, n in selectors.sheets_by_stage(campaign)
        if n
    ]
    if created:
        return "考评活动已开始。已生成考评表：" + "，".join(created) + "。"
    return "考评活动已开始。尚未生成考评表：请在各阶段分配考评员或抽样后生成。"


@require_POST
@login_required
def campaign_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk, Action.MANAGE)
    try:
        warnings = services.open_campaign(campaign, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _opened_message(campaign))
        for warning in warnings:
            messages.warning(request, warning)
    return redirect("campaign_detail", pk=pk)


@require_POST
@login_required
def campaign_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk, Action.MANAGE)
    try:
        services.close_campaign(campaign, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "考评活动已结束。")
    return redirect("campaign_detail", pk=pk)


@require_GET
@login_required
def campaign_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk)
    enterprise = int_param(request, "enterprise")
    status = text_param(request, "status", max_length=20)
    q = text_param(request, "q")
    sheets = selectors.progress_sheets(campaign, enterprise=enterprise, status=status, q=q)
    if request.GET.get("format") == "xlsx":
        from ..exports import ProgressExport

        return export_download(ProgressExport(by=request.user, campaign=campaign, queryset=sheets))
    by_status = "" if status == selectors.OVERDUE else status
    return render(
        request,
        "assessments/progress.html",
        {
            "campaign": campaign,
            "progress": selectors.progress(campaign, enterprise=enterprise, status=by_status, q=q),
            "page": Paginator(sheets, 50).get_page(request.GET.get("page")),
            "enterprises": selectors.target_enterprises(campaign),
            "enterprise": enterprise,
            "status": status,
            "q": q,
            "statuses": SheetStatus.choices,
            "OVERDUE": selectors.OVERDUE,
            "can_manage": access.can_manage_campaign(request.user, campaign),
            "reminded": reminder_reach(campaign.pk),
        },
    )


@require_POST
@login_required
def campaign_reissue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """补发: self-assessment sheets for branches whose secretary was granted later."""
    campaign = access.get_campaign(request.user, pk, Action.MANAGE)
    try:
        created, warnings = services.reissue_self_sheets(campaign, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已补发 {created} 份自评表。")
        for warning in warnings:
            messages.warning(request, warning)
    return redirect("campaign_progress", pk=pk)


# -- stages --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def stage_self_filler(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """指定填表人: an object without a self-assessment sheet (no secretary account) gets
    one, filled by a person the department chooses."""
    stage = access.get_stage(request.user, pk, Action.MANAGE)
    campaign = stage.campaign
    gaps = [g for g in selectors.self_assessment_gaps(campaign) if g.stage.pk == stage.pk]
    form = SelfFillerForm(
        request.POST or None,
        organizations=[g.organization for g in gaps],
        people=selectors.self_filler_choices(campaign),
    )
    if request.method == "POST" and form.is_valid():
        organization, filler = form.chosen()
        try:
            services.assign_self_filler(
                stage, by=request.user, organization=organization, filler=filler
            )
        except AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"已指定 {filler.name} 填写{organization.name}的“{stage.name}”表。"
            )
            return redirect("campaign_detail", pk=campaign.pk)
    return render(
        request,
        "assessments/stage_self_filler.html",
        {"stage": stage, "campaign": campaign, "gaps": gaps, "form": form},
    )


def _staffed(request: HttpRequest, stage, done) -> HttpResponse:
    if isinstance(done, Draw):
        cross = stage.assessed_by == Assessor.CROSS_GROUP
        what = "生成互评考评表" if cross else "分配抽查组"
        messages.success(request, f"已抽样（种子 {done.seed}）并{what}。")
        if cross and (notice := services.ungrouped_notice(stage.campaign)):
            messages.warning(request, notice)
        return redirect("draw_detail", pk=done.pk)
    messages.success(request, f"已分配 {len(done)} 份考评表。")
    return redirect("campaign_progress", pk=stage.campaign_id)


@require_http_methods(["GET", "POST"])
@login_required
def stage_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Department review: pick reviewers, spread the branches evenly; or run the draw."""
    stage = access.get_stage(request.user, pk)
    form = PickPeopleForm(request.POST or None, queryset=selectors.reviewer_choices())
    if request.method == "POST" and (not stage.picks_people or form.is_valid()):
        people = list(form.cleaned_data.get("people", [])) if stage.picks_people else []
        try:
            done = services.staff_stage(stage, by=request.user, people=people)
        except AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            return _staffed(request, stage, done)
    return render(
        request,
        "assessments/stage_assign.html",
        {"stage": stage, "form": form, "Assessor": Assessor},
    )


def _confirm_overlap(request: HttpRequest, exc, posted: list | None = None) -> HttpResponse:
    """The page that asks before a deadline runs into the next stage (nothing saved yet);
    confirming posts the same form again (``posted``: its other fields) with confirm=on."""
    stage, following = exc.stage, exc.following
    hidden = [(k, v) for k, v in posted or [] if k not in ("deadline", "confirm")]
    return render(
        request,
        "includes/confirm_action.html",
        {
            "title": f"确认修改截止日期：{stage.name}",
            "message": str(exc),
            "details": [
                f"“{stage.name}”：原截止 {exc.was}，改为截止 {exc.deadline}",
                f"“{following.name}”：{following.opens_on} 至 {following.deadline}",
            ],
            "hidden": [*hidden, ("deadline", exc.deadline.isoformat()), ("confirm", "on")],
            "action_url": request.path,
            "button": "确认修改",
            "cancel_url": reverse("campaign_detail", args=[stage.campaign_id]),
        },
    )


@require_POST
@login_required
def stage_deadline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    stage = access.get_stage(request.user, pk)
    form = DeadlineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效的日期。")
        return redirect("campaign_detail", pk=stage.campaign_id)
    deadline = form.cleaned_data["deadline"]
    try:
        services.extend_deadline(
            stage,
            by=request.user,
            deadline=deadline,
            overlap_confirmed=request.POST.get("confirm") == "on",
        )
    except services.OverlapsNextStage as exc:
        return _confirm_overlap(request, exc)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{stage.name}”截止日期已改为 {deadline}。")
    return redirect("campaign_detail", pk=stage.campaign_id)


@require_http_methods(["GET", "POST"])
@login_required
def stage_edit(
    request: AuthenticatedHttpRequest, pk: int | None = None, campaign_pk: int | None = None
) -> HttpResponse:
    """Add or change a stage of a campaign that has not started yet."""
    if pk is not None:
        stage = access.get_stage(request.user, pk)
        campaign = stage.campaign
    else:
        stage = None
        # The route gives one of the two keys: no campaign has the key 0.
        campaign = access.get_campaign(request.user, campaign_pk or 0, Action.MANAGE)
    draw_only = stage is not None and not campaign.is_draft
    form = StageForm(request.POST or None, instance=stage, draw_only=draw_only)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_stage(
                campaign,
                by=request.user,
                data=form.cleaned_data,
                stage=stage,
                overlap_confirmed=request.POST.get("confirm") == "on",
            )
        except services.OverlapsNextStage as exc:
            posted = [(k, v) for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)]
            return _confirm_overlap(request, exc, posted)
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
def stage_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    stage = access.get_stage(request.user, pk)
    try:
        services.delete_stage(stage, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除阶段“{stage.name}”。")
    return redirect("campaign_detail", pk=stage.campaign_id)


@require_GET
@login_required
def draw_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = access.get_draw(request.user, pk)
    return render(
        request,
        "assessments/draw_detail.html",
        {"record": record, "campaign": record.stage.campaign, **selectors.draw_page(record)},
    )


# -- sheets --------------------------------------------------------------------------------


def _sheet_context(
    request: AuthenticatedHttpRequest, sheet, rules, result=None, errors=None, posted=None
):
    user = request.user
    others = selectors.other_sheets(sheet, viewer=user)
    mine = access.can_score(user, sheet)
    manages = access.can_manage_sheet(user, sheet)
    if result is None:
        result = scoring.score(rules, selectors.entry_for(sheet, rules), complete=False)
    events = selectors.sheet_events(sheet)
    returned = [e for e in events if e.to_status == SheetStatus.RETURNED]
    blocker = submission_blocker(sheet) if mine and sheet.editable else None
    return {
        "sheet": sheet,
        "tamper_warnings": [
            services.tamper_warning(s) for s in [sheet, *others] if services.tampered(s)
        ],
        "rules": rules,
        "others": others,
        "sections": sheet_page.rows_html(
            pages.sheet_rows(sheet, rules, others, posted=posted),
            editable=mine and sheet.editable,
            checklist=rules.method == scoring.CHECKLIST,
            levels=tuple(label for label, _ in rules.levels),
        ),
        "result": result,
        "errors": errors or {},
        "editable": mine and sheet.editable,
        "checklist": rules.method == scoring.CHECKLIST,
        "can_submit": mine and sheet.editable,
        "submit_blocker": blocker,
        "can_return": sheet.is_submitted and access.can_return(sheet, user),
        "can_sign": sheet.is_submitted and manages,
        "can_reopen": sheet.is_signed and manages,
        "can_reassign": sheet.editable and manages,
        "events": events,
        "return_event": returned[-1] if returned and sheet.status == SheetStatus.RETURNED else None,
        "reason_form": ReasonForm(),
        "reassign_form": (
            ReassignForm(queryset=selectors.reviewer_choices())
            if sheet.editable and manages
            else None
        ),
        "evidence_form": EvidenceForm(),
        "upload_form": OfflineUploadForm(),
        "superseded": superseded_by(sheet),
    }


@require_GET
@login_required
def sheet_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, queryset=selectors.sheet_for_page())
    sheet = selectors.sheet_page(sheet)
    rules = selectors.sheet_rules(sheet)
    return render(request, "assessments/sheet.html", _sheet_context(request, sheet, rules))


def _score_form(request: HttpRequest, rules) -> ScoreSheetForm:
    form = ScoreSheetForm(request.POST, rules=rules)
    if not form.is_valid():  # every field is optional text: only a malformed post fails
        raise BadRequest("评分表内容有误，请刷新页面后重试。")
    return form


def _status_panel(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return render(request, "assessments/_sheet_status.html", context, status=status)


@require_POST
@login_required
def sheet_autosave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """htmx autosave of what changed (or of the whole form): returns the status panel
    (running total, grade, reasons, errors). Lines not posted are left as they are."""
    sheet = access.get_sheet(request.user, pk, Action.SCORE, selectors.sheet_for_saving())
    form = _score_form(request, selectors.sheet_rules(sheet))
    values, notes, vetoes = form.entries()
    posted_vetoes = form.posted_veto_codes
    try:
        saved = services.save_entries(
            sheet,
            by=request.user,
            revision=form.revision,
            values=values,
            notes=notes,
            vetoes=vetoes if posted_vetoes else None,
            veto_codes=posted_vetoes,
            note=form.posted_note,
        )
    except Conflict as exc:
        return _status_panel(request, _conflict_context(sheet, exc, form), status=409)
    except AssessmentError as exc:
        return _status_panel(request, {"conflict": str(exc), "sheet": sheet}, status=409)
    # The small panel alone, without the page's context processors (no query).
    return HttpResponse(
        loader.render_to_string(
            "assessments/_sheet_status.html",
            {
                "sheet": sheet,
                "result": saved.result,
                "errors": saved.errors,
                "revision": saved.revision,
                "saved": True,
            },
        )
    )


def _conflict_context(sheet, exc: Conflict, form: ScoreSheetForm) -> dict:
    """The status panel for a save conflict: only the lines that differ, both values, and
    the current revision so the person can keep their input knowingly."""
    values, notes, vetoes = form.entries()
    sheet.refresh_from_db(fields=["revision", "status"])
    return {
        "conflict": str(exc),
        "sheet": sheet,
        "differences": services.differences(sheet, values=values, notes=notes, vetoes=vetoes),
        "current_revision": sheet.revision,
    }


def _submit_conflict(
    request: AuthenticatedHttpRequest, sheet, rules, exc: Conflict, form
) -> HttpResponse:
    """A submit that lost a race: show what differs and keep every typed value and note."""
    context = _conflict_context(sheet, exc, form)
    if request.headers.get("HX-Request"):
        response = _status_panel(request, context, status=409)
        response["HX-Retarget"] = "#sheet-status"
        response["HX-Reswap"] = "outerHTML"
        return response
    sheet = selectors.sheet_page(sheet)
    sheet.note = form.data.get("note", sheet.note)  # shown as typed, not saved
    page = _sheet_context(request, sheet, rules, posted=form.entries())
    return render(request, "assessments/sheet.html", {**context, **page}, status=409)


def _back_to_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """A redirect to the sheet; htmx requests get it as HX-Redirect (a full page load)."""
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": reverse("sheet_detail", args=[pk])})
    return redirect("sheet_detail", pk=pk)


def _submitted_message(sheet) -> str:
    late = "（已逾期）" if sheet.late else ""
    grade = "，" + sheet.grade if sheet.grade else ""
    return f"已提交{late}。得分 {scoring.fmt(sheet.total)}{grade}。"


@require_POST
@login_required
def sheet_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, Action.SCORE)
    rules = selectors.sheet_rules(sheet)
    form = _score_form(request, rules)
    values, notes, vetoes = form.entries()
    try:
        submitted = services.submit_entries(
            sheet,
            by=request.user,
            revision=form.revision if form.has_revision else None,
            values=values,
            notes=notes,
            vetoes=vetoes,
            note=form.cleaned_data["note"],
        )
    except Conflict as exc:
        return _submit_conflict(request, sheet, rules, exc, form)
    except (AssessmentError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _submitted_message(submitted))
    return _back_to_sheet(request, pk)


@require_POST
@login_required
def sheet_return(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, Action.RETURN)
    form = WhyForm(request.POST)
    try:
        services.return_sheet(sheet, by=request.user, reason=form.text)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "已退回，打分人会收到站内通知（有邮箱的同时收到邮件），并在首页待办中看到退回原因。",
        )
    return redirect("sheet_detail", pk=pk)


@require_POST
@login_required
def sheet_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, Action.MANAGE)
    try:
        signed = services.sign_sheet(sheet, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        tasks.after_signing([signed], by=request.user)
        messages.success(request, "已审核签发，该表已锁定。")
    return redirect("sheet_detail", pk=pk)


@require_POST
@login_required
def sheet_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, Action.MANAGE)
    form = WhyForm(request.POST)
    try:
        services.reopen_sheet(sheet, by=request.user, reason=form.text)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已重新打开，打分人可以修改后再次提交。")
    return redirect("sheet_detail", pk=pk)


@require_POST
@login_required
def sheet_reassign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, Action.MANAGE)
    form = ReassignForm(request.POST, queryset=selectors.reviewer_choices())
    if not form.is_valid():
        messages.error(request, "请选择改派的考评员。")
        return redirect("sheet_detail", pk=pk)
    assessor = form.cleaned_data["assessor"]
    try:
        services.reassign_sheet(sheet, by=request.user, assessor=assessor)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已改派给 {assessor}。")
    return redirect("sheet_detail", pk=pk)


@require_GET
@login_required
def sheet_xlsx(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = selectors.sheet_page(access.get_sheet(request.user, pk))
    if services.tampered(sheet):
        messages.error(request, services.tamper_warning(sheet))
        return redirect("sheet_detail", pk=pk)
    filename, content = offline.download(sheet)
    return attachment(content, filename=filename, content_type=XLSX_CONTENT_TYPE)


@require_POST
@login_required
def sheet_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, Action.SCORE)
    form = OfflineUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        refused = "file" in request.FILES and form.errors.get("file")
        messages.error(request, str(refused[0]) if refused else "请选择填好的 .xlsx 评分表。")
        return redirect("sheet_detail", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        job = importing.start_import(
            by=request.user,
            kind=offline.KIND,
            filename=upload.name,
            content=upload.read(),
            target_id=sheet.pk,
        )
    except SpreadsheetError as exc:
        messages.error(request, str(exc))
        return redirect("sheet_detail", pk=pk)
    # The preview lists what the file changes; nothing is stored until it is confirmed.
    return redirect("import_preview", pk=job.pk)


# -- evidence ------------------------------------------------------------------------------


@require_POST
@login_required
def evidence_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sheet = access.get_sheet(request.user, pk, Action.SCORE)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, str(form.errors.get("file", ["请选择要上传的文件。"])[0]))
        return redirect("sheet_detail", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        services.add_evidence(
            sheet,
            by=request.user,
            code=form.cleaned_data["code"],
            name=upload.name,
            content=upload.read(),
        )
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已上传“{upload.name}”。")
    return redirect("sheet_detail", pk=pk)


@require_GET
@login_required
def evidence_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return send_upload(access.get_evidence(request.user, pk))


@require_POST
@login_required
def evidence_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evidence = access.get_evidence(request.user, pk, Action.SCORE)
    try:
        services.delete_evidence(evidence, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已删除材料。")
    return redirect("sheet_detail", pk=evidence.sheet_id)
