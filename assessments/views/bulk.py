"""Bulk work: 催办 with a confirmation and the list of who was reminded, reviewers given to
chosen branches, a branch's rectification measures at once, chosen sheets signed or
returned at once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from branches.models import Organization, User
from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import id_list_param
from branches.toolkit.spreadsheets import SpreadsheetError, read_xlsx

from .. import access, selectors, services, tasks
from ..access import Action
from ..exports import AssignmentTemplate, MeasuresTemplate
from ..forms import AssignMatrixForm, MeasuresForm, OfflineUploadForm, RemindForm
from ..models import Assessor, Campaign, RectificationItem, Stage
from ..notices.selectors import robot_names
from ..services import AssessmentError, BulkRefused, MeasureLine
from ..services.bulk import AssignPlan, MeasureChange

# -- 催办 --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def campaign_remind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET shows who would be reminded and asks to confirm; POST sends and lists them."""
    campaign = access.get_campaign(request.user, pk, Action.MANAGE)
    form = RemindForm(request.POST or request.GET or {"scope": "late"})
    if not form.is_valid():
        messages.error(request, "催办范围无效。")
        return redirect("campaign_progress", pk=pk)
    late_only = form.cleaned_data["scope"] == "late"
    if not campaign.is_open:
        messages.error(request, "考评活动未在进行中，不能催办。")
        return redirect("campaign_progress", pk=pk)
    if request.method == "GET":
        return render(
            request,
            "assessments/remind_confirm.html",
            {
                "campaign": campaign,
                "late_only": late_only,
                "recipients": services.reminder_recipients(campaign, late_only=late_only),
            },
        )
    try:
        reminded = services.remind_assessors(campaign, by=request.user, late_only=late_only)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect("campaign_progress", pk=pk)
    emailed = [r for r in reminded if r.reachable]
    missing = [r for r in reminded if not r.reachable]
    robots = "、".join(robot_names())
    messages.success(
        request,
        f"已催办 {len(reminded)} 人（站内通知 {len(reminded)} 人，其中邮件 {len(emailed)} 人"
        + (f"；同时推送到{robots}群" if robots else "")
        + "）："
        + "、".join(f"{r.person.name or r.person.username}（{len(r.sheets)} 份）" for r in reminded)
        + "。",
    )
    if missing:
        messages.warning(
            request,
            f"其中 {len(missing)} 人没有登记邮箱，只收到站内通知"
            + (f"和{robots}群消息" if robots else "")
            + "，如需可电话催办："
            + "、".join(r.person.name or r.person.username for r in missing)
            + "。",
        )
    return redirect("campaign_progress", pk=pk)


# -- reviewers for chosen branches --------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def stage_assign_matrix(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Branches × reviewers: the department says who takes which branches. 预览 is a dry
    run; 确认分配 stores every pair or none."""
    stage = access.get_stage(request.user, pk)
    if stage.assessed_by != Assessor.DEPARTMENT:
        messages.error(request, f"“{stage.name}”阶段不由党群部考评员打分，不能按组织指定考评员。")
        return redirect("campaign_progress", pk=stage.campaign_id)
    assigned = {s.organization_id: s.assessor for s in stage.sheets.select_related("assessor")}
    orgs = [o for o in services.targets(stage.campaign) if o.pk not in assigned]
    reviewers = list(selectors.reviewer_choices())
    form = AssignMatrixForm(request.POST or None, orgs=orgs, reviewers=reviewers)
    if request.GET.get("format") == "xlsx":
        return export_download(AssignmentTemplate(by=request.user, orgs=orgs, reviewers=reviewers))
    upload = OfflineUploadForm()
    plan = problems = None
    if request.method == "POST" and "file" in request.FILES:
        upload = OfflineUploadForm(request.POST, request.FILES)
        form, plan, problems = _matrix_from_file(request, stage, upload, orgs, reviewers)
    elif request.method == "POST" and not form.is_valid():
        messages.error(request, "所选考评员无效，请重新选择。")
    elif request.method == "POST":
        dry_run = "confirm" not in request.POST
        try:
            plan = services.assign_chosen(
                stage, by=request.user, choices=form.choices(), dry_run=dry_run
            )
        except BulkRefused as exc:
            problems = exc.problems
            messages.error(request, str(exc))
        except AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            if not dry_run:
                messages.success(request, f"已按指定分配 {len(plan.pairs)} 份考评表。")
                return redirect("campaign_progress", pk=stage.campaign_id)
    return render(
        request,
        "assessments/stage_assign_matrix.html",
        {
            "stage": stage,
            "campaign": stage.campaign,
            "form": form,
            "reviewers": reviewers,
            "assigned": sorted(
                ((o, assigned[o.pk]) for o in services.targets(stage.campaign) if o.pk in assigned),
                key=lambda pair: pair[0].path,
            ),
            "plan": plan,
            "problems": problems,
            "upload": upload,
        },
    )


def _matrix_from_file(
    request: AuthenticatedHttpRequest,
    stage: Stage,
    upload: OfflineUploadForm,
    orgs: list[Organization],
    reviewers: list[User],
) -> tuple[AssignMatrixForm, AssignPlan | None, list[str] | None]:
    """An uploaded assignment file run dry: the matrix ticked as the file says (to
    confirm), the plan, and the file's problems if it is refused."""
    form = AssignMatrixForm(orgs=orgs, reviewers=reviewers)
    if not upload.is_valid():
        return form, None, None
    try:
        rows = _assignment_rows(upload.cleaned_data["file"].read())
        choices = services.choices_from_rows(stage, rows)
        plan = services.assign_chosen(stage, by=request.user, choices=choices, dry_run=True)
    except SpreadsheetError as exc:
        messages.error(request, str(exc))
    except BulkRefused as exc:
        messages.error(request, str(exc))
        return form, None, exc.problems
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        # The preview: the matrix, ticked as the file says, to confirm.
        form = AssignMatrixForm(
            initial={f"org_{o}": str(u) for o, u in choices.items()},
            orgs=orgs,
            reviewers=reviewers,
        )
        messages.info(request, "试运行：按文件分配如下，请核对后点击“确认分配”。")
        return form, plan, None
    return form, None, None


def _assignment_rows(content: bytes) -> list[tuple[int, str, str]]:
    sheet = read_xlsx(content, required=["组织编码", "考评员工号"])
    code, username = sheet.headers.index("组织编码"), sheet.headers.index("考评员工号")

    def text(value) -> str:
        return "" if value is None else str(value).strip()

    return [(row, text(values[code]), text(values[username])) for row, values in sheet.rows]


# -- a branch's rectification measures ----------------------------------------------------


def _rows_from_xlsx(content: bytes) -> list[MeasureLine]:
    sheet = read_xlsx(content, required=["指标", "整改措施"])
    index = {name: n for n, name in enumerate(sheet.headers)}

    def cell(values, name):
        value = values[index[name]] if name in index else None
        return "" if value is None else str(value).strip()

    lines = []
    for row, values in sheet.rows:
        raw_id = cell(values, "事项编号")
        try:
            item_id = int(float(raw_id)) if raw_id else None
        except (ValueError, OverflowError):
            item_id = -1  # not a number: refused as "not an item of this branch"
        lines.append(
            MeasureLine(
                item_id,
                cell(values, "指标"),
                cell(values, "整改措施"),
                cell(values, "责任人"),
                row=row,
            )
        )
    return lines


def _measures_from_file(
    request: AuthenticatedHttpRequest,
    campaign: Campaign,
    org: Organization,
    upload: OfflineUploadForm,
    items: list[RectificationItem],
) -> tuple[MeasuresForm, list[MeasureChange] | None, list[str] | None]:
    """An uploaded measures file run dry: the page's form filled from the file (to
    confirm), the changes, and the file's problems if it is refused."""
    form = MeasuresForm(items=items)
    if not upload.is_valid():
        return form, None, None
    try:
        lines = _rows_from_xlsx(upload.cleaned_data["file"].read())
        changes = services.write_measures(campaign, org, by=request.user, lines=lines, dry_run=True)
    except SpreadsheetError as exc:
        messages.error(request, str(exc))
    except BulkRefused as exc:
        messages.error(request, str(exc))
        return form, None, exc.problems
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        # The preview: the page's own form, filled from the file, to confirm.
        typed = {c.item.pk: c for c in changes}
        form = MeasuresForm(
            initial={
                key: value
                for c in typed.values()
                for key, value in (
                    (f"measure_{c.item.pk}", c.measure),
                    (f"responsible_{c.item.pk}", c.responsible),
                )
            },
            items=items,
        )
        messages.info(
            request, f"试运行：文件中 {len(changes)} 项将被更新，请核对后点击“保存全部”。"
        )
        return form, changes, None
    return form, None, None


@require_http_methods(["GET", "POST"])
@login_required
def branch_measures(
    request: AuthenticatedHttpRequest, campaign_pk: int, org_pk: int
) -> HttpResponse:
    """Every open item of a branch on one page (or one .xlsx): 预览 is a dry run, 保存全部
    stores every measure or none."""
    campaign, org = access.get_branch_measures(request.user, campaign_pk, org_pk)
    items = services.editable_items(campaign, org)
    if request.GET.get("format") == "xlsx":
        return export_download(MeasuresTemplate(by=request.user, items=items))
    upload = OfflineUploadForm()
    form = MeasuresForm(request.POST or None, items=items)
    changes = problems = None
    if request.method == "POST" and "file" in request.FILES:
        upload = OfflineUploadForm(request.POST, request.FILES)
        form, changes, problems = _measures_from_file(request, campaign, org, upload, items)
    elif request.method == "POST" and not form.is_valid():
        messages.error(request, "有填写不符合要求的内容，请按提示修改；未做任何修改。")
    elif request.method == "POST":
        dry_run = "confirm" not in request.POST
        try:
            changes = services.write_measures(
                campaign, org, by=request.user, lines=form.lines(), dry_run=dry_run
            )
        except BulkRefused as exc:
            problems = exc.problems
            messages.error(request, str(exc))
        except AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            if not dry_run:
                messages.success(request, f"已保存 {len(changes)} 项整改措施。")
                return redirect(reverse("branch_measures", args=[campaign.pk, org.pk]))
            messages.info(request, f"试运行：{len(changes)} 项将被更新，尚未保存。")
    return render(
        request,
        "assessments/branch_measures.html",
        {
            "campaign": campaign,
            "org": org,
            "form": form,
            "upload": upload,
            "changes": changes,
            "problems": problems,
        },
    )


# -- 批量签发 / 批量退回 ----------------------------------------------------------------------


@require_POST
@login_required
def campaign_bulk_sheets(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress page's checked rows signed (签发所选) or returned with one reason
    (退回所选): all or none, the refusals listed row by row."""
    campaign = access.get_campaign(request.user, pk, Action.MANAGE)
    ids = id_list_param(request, "sheet", limit=services.BULK_SHEETS_MAX, data=request.POST)
    action = request.POST.get("action")
    try:
        if action == "sign":
            done = services.sign_chosen(campaign, ids, by=request.user)
            tasks.after_signing(done, by=request.user)
            messages.success(request, f"已签发 {len(done)} 份考评表。")
        elif action == "return":
            reason = request.POST.get("reason", "")[:2000]
            done = services.return_chosen(campaign, ids, by=request.user, reason=reason)
            messages.success(request, f"已退回 {len(done)} 份考评表，打分人会收到通知。")
        else:
            messages.error(request, "请选择“签发所选”或“退回所选”。")
    except BulkRefused as exc:
        messages.error(request, str(exc) + " " + "；".join(exc.problems[:20]))
    except AssessmentError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("campaign_progress", args=[pk]) + "?status=submitted")
