"""The quarterly 亮牌 board page and its export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import int_param
from branches.toolkit.periods import next_period, previous_period, quarter_of

from ... import access as assessment_access
from ...services.errors import AssessmentError
from .. import exports, forms
from ..rules import mechanism_settings, plaque_version
from ..selectors import board
from ..services import extensions


def _quarter(request: HttpRequest) -> tuple[int, int]:
    year, quarter, _ = quarter_of(timezone.localdate())
    return (
        int_param(request, "year", year, minimum=2000, maximum=2100),
        int_param(request, "quarter", quarter, minimum=1, maximum=4),
    )


@require_GET
@login_required
def plaque_board(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not board.visible_to(request.user):
        raise PermissionDenied
    year, quarter = _quarter(request)
    extension_rule = None
    try:
        inputs, plates = board.board(request.user, year=year, quarter=quarter)
        extension_rule = mechanism_settings().plaque_extension
    except AssessmentError as exc:
        messages.error(request, str(exc))
        inputs, plates = [], []
    prev = previous_period(year, quarter)
    nxt = next_period(year, quarter)
    return render(
        request,
        "assessments/mechanisms/board.html",
        {
            "year": year,
            "quarter": quarter,
            "inputs": inputs,
            "plates": plates,
            "stale_count": sum(p.stale for p in plates),
            "pending_count": sum(p.pending for p in plates),
            "prev": prev,
            "next": nxt,
            "extension_rule": extension_rule,
        },
    )


@require_GET
@login_required
def plaque_board_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not board.visible_to(request.user):
        raise PermissionDenied
    year, quarter = _quarter(request)
    try:
        plaque_version()
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect("plaque_board")
    return export_download(exports.BoardExport(by=request.user, year=year, quarter=quarter))


@require_POST
@login_required
def plaque_extend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """未整改到位：the department extends a 争先 branch's period (its campaign's managers)."""
    result = assessment_access.get_result(request.user, pk, assessment_access.Action.MANAGE)
    form = forms.ExtensionForm(request.POST)
    where = reverse("plaque_board") + f"?year={result.year}&quarter={result.quarter}"
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for es in form.errors.values() for e in es))
        return redirect(where)
    try:
        done = extensions.extend_plaque(result, by=request.user, **form.cleaned_data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{done.organization.name}未整改到位，争先期限延长至 {done.until:%Y-%m-%d}。"
        )
    return redirect(where)
