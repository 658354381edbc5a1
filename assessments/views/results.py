"""Final results, ledgers, consequences, rectification lists and branch histories."""

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
from branches.downloads import export_download
from branches.models import Organization
from branches.params import int_param, text_param

from .. import selectors, services
from ..exports import RectificationExport, ResultsExport
from ..forms import FollowUpForm, MeasureForm, OverturnForm, RerateForm
from ..models import (
    BranchResult,
    Consequence,
    RectificationEvidence,
    RectificationStatus,
)
from ..services import AssessmentError
from . import send_upload


def _filters(request: HttpRequest) -> dict:
    return {
        "enterprise": int_param(request, "enterprise"),
        "grade": text_param(request, "grade", max_length=30),
        "q": text_param(request, "q"),
    }


@require_GET
@login_required
def campaign_results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk)
    filters = _filters(request)
    grades = [b.label for b in campaign.rubric_version.bands.all() if not b.scale]
    return render(
        request,
        "assessments/results.html",
        {
            "campaign": campaign,
            "summary": selectors.campaign_summary(campaign),
            "page": Paginator(
                selectors.results_ledger(campaign, **filters).prefetch_related("consequences"), 50
            ).get_page(request.GET.get("page")),
            "grades": grades,
            "filters": filters,
            "enterprises": Organization.objects.filter(
                pk__in=services.targets(campaign).values("enterprise")
            ).order_by("path"),
            "can_manage": access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS, campaign.scope),
            "stages": campaign.stages.all(),
            "vetoed": selectors.vetoed_results(campaign),
        },
    )


@require_POST
@login_required
def campaign_consolidate(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk, Perm.MANAGE_CAMPAIGNS)
    try:
        done = services.consolidate(campaign, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"已汇总 {done['results']} 个组织的考评结果，"
            f"整改事项 {done['rectifications']} 项，结果运用 {done['consequences']} 项。",
        )
        if done["missing"]:
            messages.warning(
                request, f"暂定结果：{done['missing']} 个对象尚无结果，达标率按全部考评对象计算。"
            )
    return redirect("campaign_results", pk=pk)


@require_GET
@login_required
def results_export(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk)
    return export_download(ResultsExport(by=request.user, campaign=campaign, **_filters(request)))


@require_POST
@login_required
def veto_overturn(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk, Perm.MANAGE_CAMPAIGNS)
    form = OverturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写组织编码、否决项编码、推翻阶段和理由。")
        return redirect("campaign_results", pk=pk)
    data = form.cleaned_data
    org = services.targets(campaign).filter(code=data["organization"]).first()
    stage = campaign.stages.filter(pk=data["stage"]).first()
    try:
        if org is None or stage is None:
            raise AssessmentError("组织编码或阶段不正确。")
        services.overturn_veto(
            by=request.user,
            campaign=campaign,
            organization=org,
            code=data["code"].strip(),
            stage=stage,
            reason=data["reason"],
        )
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已登记推翻决定，考评结果已按该决定重新汇总。")
    return redirect("campaign_results", pk=pk)


@require_GET
@login_required
def campaign_consequences(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign(request.user, pk)
    consequences = Consequence.objects.filter(result__campaign=campaign).select_related(
        "result__organization", "done_by"
    )
    if request.GET.get("format") == "xlsx":
        from ..exports import ConsequenceExport

        return export_download(
            ConsequenceExport(by=request.user, campaign=campaign, queryset=consequences)
        )
    return render(
        request,
        "assessments/consequences.html",
        {
            "campaign": campaign,
            "consequences": consequences,
            "can_manage": access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS, campaign.scope),
        },
    )


@require_POST
@login_required
def consequence_record(request: HttpRequest, pk: int) -> HttpResponse:
    consequence = get_object_or_404(
        Consequence.objects.select_related("result__organization", "result__campaign"), pk=pk
    )
    selectors.get_campaign(request.user, consequence.result.campaign_id, Perm.MANAGE_CAMPAIGNS)
    try:
        services.record_consequence(
            consequence, by=request.user, action=request.POST.get("action", "")
        )
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已登记落实情况。")
    return redirect("campaign_consequences", pk=consequence.result.campaign_id)


@require_POST
@login_required
def result_rerate(request: HttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(BranchResult.objects.select_related("campaign"), pk=pk)
    selectors.get_campaign(request.user, result.campaign_id, Perm.MANAGE_CAMPAIGNS)
    form = RerateForm(request.POST)
    try:
        if not form.is_valid():
            raise AssessmentError("请选择改评等次并写明决定理由。")
        services.rerate(result, by=request.user, **form.cleaned_data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已登记改评决定。")
    return redirect("campaign_results", pk=result.campaign_id)


# -- rectification -----------------------------------------------------------------------


@require_GET
@login_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    items = selectors.visible_rectifications(request.user).select_related(
        "organization", "campaign"
    )
    status = text_param(request, "status", max_length=20)
    q = text_param(request, "q")
    if status == "overdue":
        items = items.overdue()
    elif status:
        items = items.filter(status=status)
    if org := int_param(request, "org"):
        items = items.filter(organization_id=org)
    if campaign := int_param(request, "campaign"):
        items = items.filter(campaign_id=campaign)
    if q:
        from django.db.models import Q

        items = items.filter(Q(organization__name__icontains=q) | Q(problem__icontains=q))
    items = items.order_by("organization__path", "deadline", "code")
    if request.GET.get("format") == "xlsx":
        return export_download(RectificationExport(by=request.user, queryset=items))
    return render(
        request,
        "assessments/rectification_list.html",
        {
            "page": Paginator(items, 50).get_page(request.GET.get("page")),
            "status": status,
            "q": q,
            "statuses": RectificationStatus.choices,
        },
    )


@require_GET
@login_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_rectification(request.user, pk)
    user = request.user
    secretary = services.results.is_secretary_of(user, item.organization)
    editable = secretary and item.status in (RectificationStatus.OPEN, RectificationStatus.RETURNED)
    return render(
        request,
        "assessments/rectification_detail.html",
        {
            "item": item,
            "editable": editable,
            "secretary": secretary,
            "can_verify": services.can_verify(user, item),
            "measure_form": MeasureForm(
                initial={"measure": item.measure, "responsible": item.responsible}
            ),
            "follow_up_form": FollowUpForm(),
            "events": item.events.select_related("actor"),
            "evidence": item.evidence.all(),
        },
    )


def _rectification_action(request: HttpRequest, pk: int, action, message: str):
    item = selectors.get_rectification(request.user, pk)
    try:
        action(item)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("rectification_detail", pk=pk)


def _require_secretary(request: HttpRequest, pk: int) -> None:
    item = selectors.get_rectification(request.user, pk)
    if not services.results.is_secretary_of(request.user, item.organization):
        raise PermissionDenied


def _require_verifier(request: HttpRequest, pk: int) -> None:
    item = selectors.get_rectification(request.user, pk)
    if not services.can_verify(request.user, item):
        raise PermissionDenied


@require_POST
@login_required
def rectification_measure(request: HttpRequest, pk: int) -> HttpResponse:
    _require_secretary(request, pk)
    form = MeasureForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写整改措施和责任人。")
        return redirect("rectification_detail", pk=pk)
    return _rectification_action(
        request,
        pk,
        lambda i: services.write_measure(i, by=request.user, **form.cleaned_data),
        "已保存整改措施。",
    )


@require_POST
@login_required
def rectification_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    _require_secretary(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要上传的文件。")
        return redirect("rectification_detail", pk=pk)
    if upload.size > services.EVIDENCE_MAX_BYTES:
        messages.error(request, f"文件过大（{upload.size / 1024 / 1024:.1f} MB），上限为 10 MB。")
        return redirect("rectification_detail", pk=pk)
    return _rectification_action(
        request,
        pk,
        lambda i: services.add_rectification_evidence(
            i, by=request.user, name=upload.name, content=upload.read()
        ),
        f"已上传“{upload.name}”。",
    )


@require_POST
@login_required
def rectification_submit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_secretary(request, pk)
    return _rectification_action(
        request,
        pk,
        lambda i: services.submit_rectification(i, by=request.user),
        "已提交，等待考评员核实销号。",
    )


@require_http_methods(["GET", "POST"])
@login_required
def rectification_close(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm 销号 (it closes the item for good); POST closes it."""
    _require_verifier(request, pk)
    if request.method == "GET":
        item = selectors.get_rectification(request.user, pk)
        if item.status != RectificationStatus.SUBMITTED:
            messages.error(request, "该整改事项尚未提交销号申请，不能销号。")
            return redirect("rectification_detail", pk=pk)
        return render(
            request,
            "includes/confirm_action.html",
            {
                "title": f"确认销号：{item.organization.name} · {item.code}",
                "message": "销号表示已核实整改到位，该事项随即关闭，支部不能再修改。确定销号吗？",
                "details": [f"问题：{item.problem}", f"整改措施：{item.measure or '—'}"],
                "note_field": {
                    "name": "note",
                    "label": "核实情况（可选）",
                    "value": request.GET.get("note", ""),
                },
                "action_url": request.path,
                "button": "确认销号",
                "cancel_url": reverse("rectification_detail", args=[pk]),
            },
        )
    return _rectification_action(
        request,
        pk,
        lambda i: services.close_rectification(
            i, by=request.user, note=request.POST.get("note", "")
        ),
        "已销号。",
    )


@require_POST
@login_required
def rectification_return(request: HttpRequest, pk: int) -> HttpResponse:
    _require_verifier(request, pk)
    return _rectification_action(
        request,
        pk,
        lambda i: services.return_rectification(
            i, by=request.user, reason=request.POST.get("reason", "")
        ),
        "已退回，支部将在首页看到原因。",
    )


@require_POST
@login_required
def rectification_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    _require_verifier(request, pk)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写回头看情况和日期。")
        return redirect("rectification_detail", pk=pk)
    return _rectification_action(
        request,
        pk,
        lambda i: services.record_follow_up(i, by=request.user, **form.cleaned_data),
        "已登记回头看。",
    )


@require_GET
@login_required
def rectification_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(RectificationEvidence.objects.select_related("item"), pk=pk)
    selectors.get_rectification(request.user, evidence.item_id)  # 404 unless visible
    return send_upload(evidence)


@require_GET
@login_required
def branch_history(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.get_org(request.user, pk)
    return render(
        request,
        "assessments/branch_history.html",
        {
            "org": org,
            "results": selectors.branch_history(org),
        },
    )
