"""The quarterly 亮牌 board page and its export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from branches.toolkit.downloads import export_download
from branches.toolkit.params import int_param

from ..services.errors import AssessmentError
from . import board, exports
from .demo import quarter_of
from .rules import plaque_version


def _quarter(request: HttpRequest) -> tuple[int, int]:
    year, quarter, _ = quarter_of(timezone.localdate())
    return (
        int_param(request, "year", year, minimum=2000, maximum=2100),
        int_param(request, "quarter", quarter, minimum=1, maximum=4),
    )


@require_GET
@login_required
def plaque_board(request: HttpRequest) -> HttpResponse:
    if not board.visible_to(request.user):
        raise PermissionDenied
    year, quarter = _quarter(request)
    try:
        inputs, plates = board.board(request.user, year=year, quarter=quarter)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        inputs, plates = [], []
    prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    nxt = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
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
        },
    )


@require_GET
@login_required
def plaque_board_export(request: HttpRequest) -> HttpResponse:
    if not board.visible_to(request.user):
        raise PermissionDenied
    year, quarter = _quarter(request)
    try:
        plaque_version()
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect("plaque_board")
    return export_download(exports.BoardExport(by=request.user, year=year, quarter=quarter))
