"""A branch's problem ledger (问题清单、责任清单、整改清单) and its yearly screening."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from branches import access as org_access
from branches.access import Perm
from branches.models import Category, Organization
from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.paging import ListPaginator
from branches.toolkit.params import choice_param, int_param, text_param

from .. import access, selectors, services
from ..exports import LedgerExport, ScreeningExport
from ..forms import ProblemForm, ScreeningForm
from ..models import Screening
from ..services import AssessmentError


@require_GET
@login_required
def branch_ledger(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_ledger_org(request.user, pk)
    if request.GET.get("format") == "xlsx":
        items = selectors.branch_ledger(org)["items"]
        return export_download(LedgerExport(by=request.user, org=org, items=items))
    return _ledger_page(request, org)


def _ledger_page(
    request: AuthenticatedHttpRequest,
    org: Organization,
    *,
    problem_form: ProblemForm | None = None,
    screening_form: ScreeningForm | None = None,
) -> HttpResponse:
    """The ledger page; a refused form comes back in it with what was typed."""
    can_screen = org.kind == Screening.KIND and access.can_manage_org_campaigns(request.user, org)
    if screening_form is None and can_screen:
        screening_form = ScreeningForm(initial={"year": timezone.localdate().year})
    return render(
        request,
        "assessments/branch_ledger.html",
        {
            "org": org,
            **selectors.branch_ledger(org),
            "can_add": access.can_change_ledger(request.user, org),
            "problem_form": problem_form or ProblemForm(),
            "can_screen": can_screen,
            "screening_form": screening_form if can_screen else None,
        },
    )


@require_POST
@login_required
def ledger_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_ledger_org(request.user, pk, change=True)
    form = ProblemForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0])[:200])
        return _ledger_page(request, org, problem_form=form)
    try:
        item = services.add_problem(org, by=request.user, **form.cleaned_data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _ledger_page(request, org, problem_form=form)
    messages.success(request, f"已登记问题 {item.code}，责任人：{item.responsible}。")
    return redirect("branch_ledger", pk=pk)


@require_POST
@login_required
def branch_screen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_screening_org(request.user, pk)
    form = ScreeningForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0])[:200])
        return _ledger_page(request, org, screening_form=form)
    try:
        screening = services.screen_branch(org, by=request.user, **form.cleaned_data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _ledger_page(request, org, screening_form=form)
    else:
        note = "，已纳入集中整顿，整改事项已列入台账" if screening.category == "lagging" else ""
        messages.success(
            request, f"已评定 {screening.year} 年度类别：{screening.get_category_display()}{note}。"
        )
    return redirect("branch_ledger", pk=pk)


@require_GET
@login_required
def screening_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The year's screening across the branches in scope: who is 先进 / 一般 / 后进, and
    which branches are still to be screened."""
    org_access.require(request.user, Perm.VIEW_RESULTS)
    year = int_param(request, "year", timezone.localdate().year, minimum=2000, maximum=2100)
    filters = {
        "q": text_param(request, "q"),
        "category": choice_param(request, "category", [*Category.values, selectors.UNSCREENED]),
    }
    overview = selectors.screening_overview(
        org_access.visible_orgs(request.user, Perm.VIEW_RESULTS), year, **filters
    )
    if request.GET.get("format") == "xlsx":
        return export_download(
            ScreeningExport(by=request.user, year=year, branches=overview["branches"])
        )
    paginator = ListPaginator(overview["branches"])
    if overview["listed"] is not None:
        paginator.count = overview["listed"]  # counted once, not again by the paginator
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/screening_overview.html",
        {
            **overview,
            "page": page,
            "rows": selectors.screening_rows(page.object_list, year),
            "filters": filters,
            "categories": [*Category.choices, (selectors.UNSCREENED, "尚未评定")],
            "year": year,
            "years": range(timezone.localdate().year + 1, 2019, -1),
            "tally": [(label, overview["counts"][value]) for value, label in Category.choices],
        },
    )
