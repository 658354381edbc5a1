"""Final results, ledgers, consequences, rectification lists and branch histories."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import access as org_access
from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.paging import list_page
from branches.toolkit.params import choice_param, int_param, text_param
from rubrics.models import Method

from .. import access, selectors, services
from ..access import Action
from ..committee import committee_measures
from ..exports import ConsequenceExport, RectificationExport, ResultsExport
from ..forms import (
    ConsequenceActionForm,
    FollowUpForm,
    MeasureForm,
    NoteForm,
    OverturnForm,
    RectificationEvidenceForm,
    RerateForm,
    WhyForm,
)
from ..mechanisms.selectors import stale_results
from ..models import (
    Campaign,
    ConsequenceStatus,
    RectificationItem,
    RectificationStatus,
    ReportKind,
)
from ..services import AssessmentError
from . import send_upload

VETO_CHOICES = 200  # results with a veto offered in the 推翻 form's select


def _filters(request: HttpRequest) -> dict:
    return {
        "enterprise": int_param(request, "enterprise"),
        "grade": text_param(request, "grade", max_length=30),
        "q": text_param(request, "q"),
    }


RANKING_ENDS = 10  # results shown from each end of the ranking on the results page


@require_GET
@login_required
def campaign_results(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _results_page(request, access.get_campaign(request.user, pk))


def _results_page(
    request: AuthenticatedHttpRequest, campaign: Campaign, *, overturn: OverturnForm | None = None
) -> HttpResponse:
    """The campaign's results: its figures, the two ends of the ranking, the 软弱涣散、后进
    ledger and the 推翻 form (a refused 推翻 comes back in it with what was typed). The
    whole ranking is the ledger page's, paged."""
    stale, waiting = stale_results(campaign)
    summary = selectors.campaign_summary(campaign)
    ranking = selectors.ranking_excerpt(campaign, RANKING_ENDS)
    ends = ranking["top"] + ranking["bottom"]
    prefetch_related_objects(ends, "consequences")
    # The summary counts the results with a standing veto: their list is read only when
    # it fits the select.
    vetoed_many = summary["vetoed"] > VETO_CHOICES
    vetoed = [] if vetoed_many or not summary["vetoed"] else selectors.vetoed_results(campaign)
    return render(
        request,
        "assessments/results.html",
        {
            **_ranking_context(request, campaign, ends),
            "summary": summary,
            "ranking": ranking,
            "stages": selectors.overturn_stages(campaign),
            # A select of at most VETO_CHOICES results; past that the code is typed.
            "vetoed": vetoed,
            "vetoed_many": vetoed_many,
            "committee": committee_measures(campaign),
            "ReportKind": ReportKind,
            "stale": stale,
            "waiting": waiting,
            "overturn": overturn.data if overturn is not None else None,
        },
    )


def _ranking_context(request: AuthenticatedHttpRequest, campaign: Campaign, shown) -> dict:
    """What both pages that print rows of the ranking need around them."""
    return {
        "campaign": campaign,
        # The shown results' source sheets, checked against their sign-off seals.
        "tamper_warnings": services.seal_warnings([r.source_sheet_id for r in shown]),
        "can_manage": access.can_manage_campaign(request.user, campaign),
        "composite": campaign.rubric_version.method == Method.COMPOSITE,
        "checklist": campaign.rubric_version.method == Method.CHECKLIST,
    }


@require_GET
@login_required
def campaign_ledger(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _ledger_page(request, access.get_campaign(request.user, pk))


def _ledger_page(request: AuthenticatedHttpRequest, campaign: Campaign) -> HttpResponse:
    """The whole ranking, paged, filtered and searched, each row linking its 改评."""
    filters = _filters(request)
    ledger = selectors.results_ledger(campaign, **filters).prefetch_related("consequences")
    page = list_page(request, ledger)
    stale, _ = stale_results(campaign)
    return render(
        request,
        "assessments/results_ledger.html",
        {
            **_ranking_context(request, campaign, page),
            "page": page,
            "grades": selectors.result_grades(campaign),
            "filters": filters,
            "enterprises": selectors.target_enterprises(campaign),
            "stale": stale,
        },
    )


def _consolidated_messages(request: HttpRequest, done: dict) -> None:
    messages.success(
        request,
        f"已汇总 {done['results']} 个组织的考评结果，"
        f"整改事项 {done['rectifications']} 项，结果运用 {done['consequences']} 项。",
    )
    if done["missing"]:
        messages.warning(request, f"暂定结果：{done['missing']} 个对象尚无结果。")


@require_POST
@login_required
def campaign_consolidate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk, Action.MANAGE)
    try:
        done = services.consolidate(campaign, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        _consolidated_messages(request, done)
    return redirect("campaign_results", pk=pk)


@require_GET
@login_required
def results_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk)
    return export_download(ResultsExport(by=request.user, campaign=campaign, **_filters(request)))


@require_POST
@login_required
def veto_overturn(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk, Action.MANAGE)
    form = OverturnForm(request.POST, campaign=campaign)
    if not form.is_valid():
        missing = "请填写组织编码、否决项编码、推翻阶段和理由。"
        messages.error(request, str((form.non_field_errors() or [missing])[0]))
        return _results_page(request, campaign, overturn=form)
    try:
        services.overturn_veto(by=request.user, campaign=campaign, **form.cleaned_data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _results_page(request, campaign, overturn=form)
    messages.success(request, "已登记推翻决定，考评结果已按该决定重新汇总。")
    return redirect("campaign_results", pk=pk)


@require_GET
@login_required
def campaign_consequences(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = access.get_campaign(request.user, pk)
    filters = {
        "q": text_param(request, "q"),
        "status": choice_param(request, "status", ConsequenceStatus.values),
    }
    consequences = selectors.campaign_consequences(campaign, **filters)
    if request.GET.get("format") == "xlsx":
        return export_download(
            ConsequenceExport(by=request.user, campaign=campaign, queryset=consequences)
        )
    return render(
        request,
        "assessments/consequences.html",
        {
            "campaign": campaign,
            "page": list_page(request, consequences),
            "filters": filters,
            "statuses": ConsequenceStatus.choices,
            "can_manage": access.can_manage_campaign(request.user, campaign),
        },
    )


@require_POST
@login_required
def consequence_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    consequence = access.get_consequence(request.user, pk)
    form = ConsequenceActionForm(request.POST)
    try:
        services.record_consequence(consequence, by=request.user, action=form.text)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已登记落实情况。")
    return redirect("campaign_consequences", pk=consequence.result.campaign_id)


@require_http_methods(["GET", "POST"])
@login_required
def result_rerate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A recorded 改评 decision on one result: the result as the ledger prints it, the
    grade it becomes and the reason (a refused form comes back with what was typed)."""
    result = access.get_result(request.user, pk)
    form = RerateForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, "请选择改评等次并写明决定理由。")
        else:
            try:
                services.rerate(result, by=request.user, **form.cleaned_data)
            except AssessmentError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "已登记改评决定。")
                return redirect(_ledger_back(request, result.campaign_id))
    campaign = result.campaign
    return render(
        request,
        "assessments/result_rerate.html",
        {
            "campaign": campaign,
            "back": _ledger_back(request, campaign.pk),
            "r": selectors.results_ledger(campaign).get(pk=result.pk),
            "targets": services.rerate_targets(result),
            "rule": services.rerate_rule_text(result),
            "typed": form.data,
            "checklist": campaign.rubric_version.method == Method.CHECKLIST,
        },
    )


LEDGER_PLACE = ("q", "enterprise", "grade", "page")  # what a ledger page is found again by


def _ledger_back(request: HttpRequest, campaign_pk: int) -> str:
    """The ledger page a 改评 was opened from: its search, filters and page travel in the
    改评 page's query, so that going back (or a recorded decision) returns there and not to
    the first page of the whole ranking. The ledger checks them again as it always does."""
    url = reverse("campaign_ledger", args=[campaign_pk])
    place = {k: v for k in LEDGER_PLACE if (v := request.GET.get(k, "").strip())}
    return f"{url}?{urlencode(place)}" if place else url


# -- rectification -----------------------------------------------------------------------


@require_GET
@login_required
def rectification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = text_param(request, "status", max_length=20)
    q = text_param(request, "q")
    sources = selectors.source_filters()
    source = text_param(request, "source", max_length=20)
    if source not in dict(sources):
        source = ""
    org = int_param(request, "org")
    items = selectors.rectification_list(
        request.user,
        status=status,
        org=org,
        campaign=int_param(request, "campaign"),
        source=source,
        q=q,
    )
    if request.GET.get("format") == "xlsx":
        return export_download(RectificationExport(by=request.user, queryset=items))
    page = list_page(request, items)
    page.object_list = selectors.with_stages(page.object_list)
    return render(
        request,
        "assessments/rectification_list.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "source": source,
            "sources": sources,
            "statuses": RectificationStatus.choices,
            "OVERDUE": selectors.OVERDUE,
            "ledger_org": _ledger_org(request.user, org),
        },
    )


def _ledger_org(user, org_id: int | None):
    """The branch whose ledger the filtered list links to, when the user may read it."""
    if not org_id:
        return None
    try:
        return access.get_ledger_org(user, org_id)
    except (Http404, PermissionDenied):
        return None


@require_GET
@login_required
def rectification_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _rectification_page(request, access.get_rectification(request.user, pk))


def _rectification_page(
    request: AuthenticatedHttpRequest,
    item: RectificationItem,
    *,
    measure_form: MeasureForm | None = None,
    follow_up_form: FollowUpForm | None = None,
) -> HttpResponse:
    """The item's page; a refused measure or 回头看 comes back in it with what was typed."""
    [item] = selectors.with_stages([item])
    return render(
        request,
        "assessments/rectification_detail.html",
        {
            "item": item,
            "editable": access.rectification_editable(request.user, item),
            "secretary": access.can_edit_rectification(request.user, item),
            "can_verify": access.can_verify(request.user, item),
            "measure_form": measure_form
            or MeasureForm(initial={"measure": item.measure, "responsible": item.responsible}),
            "follow_up_form": follow_up_form or FollowUpForm(),
            "events": item.events.select_related("actor"),
            "evidence": item.evidence.all(),
        },
    )


@require_POST
@login_required
def rectification_measure(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_rectification(request.user, pk, Action.EDIT)
    form = MeasureForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写整改措施和责任人。")
        return _rectification_page(request, item, measure_form=form)
    try:
        services.write_measure(item, by=request.user, **form.cleaned_data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _rectification_page(request, item, measure_form=form)
    messages.success(request, "已保存整改措施。")
    return redirect("rectification_detail", pk=pk)


@require_POST
@login_required
def rectification_evidence(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_rectification(request.user, pk, Action.EDIT)
    form = RectificationEvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, str(form.errors["file"][0]))
        return redirect("rectification_detail", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        services.add_rectification_evidence(
            item, by=request.user, name=upload.name, content=upload.read()
        )
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已上传“{upload.name}”。")
    return redirect("rectification_detail", pk=pk)


@require_POST
@login_required
def rectification_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_rectification(request.user, pk, Action.EDIT)
    try:
        services.submit_rectification(item, by=request.user)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已提交，等待考评员核实销号。")
    return redirect("rectification_detail", pk=pk)


def _confirm_close(request: HttpRequest, item) -> HttpResponse:
    """The page that asks to confirm 销号 (it closes the item for good)."""
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
            "cancel_url": reverse("rectification_detail", args=[item.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def rectification_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm 销号; POST closes it."""
    item = access.get_rectification(request.user, pk, Action.VERIFY)
    if request.method == "GET":
        if item.is_submitted:
            return _confirm_close(request, item)
        messages.error(request, "该整改事项尚未提交销号申请，不能销号。")
        return redirect("rectification_detail", pk=pk)
    form = NoteForm(request.POST)
    try:
        services.close_rectification(item, by=request.user, note=form.text)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已销号。")
    return redirect("rectification_detail", pk=pk)


@require_POST
@login_required
def rectification_return(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_rectification(request.user, pk, Action.VERIFY)
    form = WhyForm(request.POST)
    try:
        services.return_rectification(item, by=request.user, reason=form.text)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已退回，支部将在首页看到原因。")
    return redirect("rectification_detail", pk=pk)


@require_POST
@login_required
def rectification_follow_up(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_rectification(request.user, pk, Action.VERIFY)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写回头看情况和日期。")
        return _rectification_page(request, item, follow_up_form=form)
    try:
        services.record_follow_up(item, by=request.user, **form.cleaned_data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _rectification_page(request, item, follow_up_form=form)
    messages.success(request, "已登记回头看。")
    return redirect("rectification_detail", pk=pk)


@require_GET
@login_required
def rectification_evidence_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    evidence = access.get_rectification_evidence(request.user, pk)
    return send_upload(evidence)


@require_GET
@login_required
def branch_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = org_access.get_scores_org(request.user, pk)
    return render(
        request,
        "assessments/branch_history.html",
        {
            "org": org,
            "results": selectors.branch_history(org),
            "effects": selectors.consequence_effects(org),
        },
    )
