"""Mutual inspection pages: the list, scheduling (department), the inspection with its
互查评分表 (inspectors), 回头看 on the branch's list, and the 标准化经验手册."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import access as branch_access
from branches.access import Perm
from branches.toolkit.downloads import attachment, export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import int_param
from branches.toolkit.periods import quarter_of

from ...models import InspectionStatus
from ...services.errors import AssessmentError
from .. import access, exports, forms, selectors
from ..access import INSPECTOR
from ..rules import INSPECTION_RUBRIC, published
from ..services import inspection


@require_GET
@login_required
def inspection_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "assessments/mechanisms/inspection_list.html",
        {
            "inspections": access.visible_inspections(request.user)
            .prefetch_related("inspectors__organization")
            .order_by("-year", "-quarter", "organization__tree_key"),
            "can_manage": branch_access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS),
        },
    )


@require_GET
@login_required
def inspection_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    return export_download(exports.InspectionExport(by=request.user))


@require_http_methods(["GET", "POST"])
@login_required
def inspection_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    branch_access.require(request.user, Perm.MANAGE_CAMPAIGNS)
    branches = branch_access.visible_orgs(request.user, Perm.MANAGE_CAMPAIGNS)
    members = selectors.inspector_choices(branches)
    year, quarter, _ = quarter_of(timezone.localdate())
    form = forms.InspectionForm(
        request.POST or None,
        branches=branches,
        members=members,
        initial={"year": year, "quarter": quarter},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = inspection.schedule_inspection(
                by=request.user,
                organization=data["organization"],
                version=published(INSPECTION_RUBRIC),
                year=data["year"],
                quarter=data["quarter"],
                scheduled_on=data["scheduled_on"],
                inspectors=list(data["inspectors"]),
            )
        except AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已安排{created}。")
            return redirect("inspection_detail", pk=created.pk)
    return render(request, "assessments/mechanisms/inspection_form.html", {"form": form})


def _score_form(insp, data=None):
    return forms.InspectionScoreForm(data, items=list(inspection.rules(insp).items()))


@require_GET
@login_required
def inspection_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    insp, roles = access.get_inspection(request.user, pk)
    return _detail(request, insp, roles)


def _detail(request: HttpRequest, insp, roles: set[str], bound=None) -> HttpResponse:
    """The inspection's page; ``bound`` is a refused score form, shown with what was typed."""
    checklist = inspection.rules(insp)
    rows = [
        (i, insp.scores.get(i.code), insp.items.filter(code=i.code).first())
        for i in checklist.items()
    ]
    can_fill = INSPECTOR in roles and insp.status == InspectionStatus.SCHEDULED
    return render(
        request,
        "assessments/mechanisms/inspection_detail.html",
        {
            "i": insp,
            "roles": roles,
            "rows": rows,
            "inspectors": insp.inspectors.select_related("organization"),
            "problems": insp.items.select_related("closed_by"),
            "form": (bound or _score_form(insp)) if can_fill else None,
            "not_yet_due": inspection.not_yet_due(insp) if can_fill else None,
        },
    )


@require_POST
@login_required
def inspection_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    insp, roles = access.get_inspection(request.user, pk, {INSPECTOR})
    form = _score_form(insp, request.POST)
    # A refused form comes back with every typed value (13 scores on a phone are not retyped).
    if not form.is_valid():
        messages.error(request, "互查评分表填写有误，请按提示修改后再提交（已填写的内容已保留）。")
        return _detail(request, insp, roles, bound=form)
    try:
        insp = inspection.submit_inspection(insp, by=request.user, **form.parts())
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _detail(request, insp, roles, bound=form)
    else:
        count = insp.items.count()
        total = insp.total or Decimal(0)  # a submitted inspection has its total
        messages.success(
            request,
            f"已提交互查评分表：{total.normalize():f} 分，{count} 个问题已列入支部问题清单。",
        )
    return redirect("inspection_detail", pk=insp.pk)


@require_GET
@login_required
def handbook(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The quarter's 标准化经验手册: the 亮点做法 of every inspection, as a PDF."""
    branch_access.require(request.user, Perm.VIEW_RESULTS)
    year, quarter, _ = quarter_of(timezone.localdate())
    year = int_param(request, "year", year, minimum=2000, maximum=2100)
    quarter = int_param(request, "quarter", quarter, minimum=1, maximum=4)
    content = exports.handbook_pdf(request.user, year=year, quarter=quarter)
    return attachment(
        content,
        filename=f"标准化经验手册-{year}年第{quarter}季度.pdf",
        content_type="application/pdf",
    )
