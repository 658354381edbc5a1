"""A person's 年度考核 record (what pairings recorded against them) and a branch's 党员积分
ledger (the monthly 履职 scores as 积分, 纳入党员积分制管理), with its export."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import int_param

from ...services.errors import AssessmentError
from .. import access, exports, rules, selectors


@require_GET
@login_required
def person_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = access.get_person(request.user, pk)
    return render(
        request,
        "assessments/mechanisms/person_record.html",
        {"person": person, "effects": selectors.person_effects(person, viewer=request.user)},
    )


def _year(request: HttpRequest) -> int:
    return int_param(request, "year", timezone.localdate().year, minimum=2000, maximum=2100)


def _points_rule():
    try:
        return rules.mechanism_settings().duty_points
    except AssessmentError:
        return None


@require_GET
@login_required
def points_ledger(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org, _ = access.get_branch(request.user, pk)
    year = _year(request)
    rule = _points_rule()
    rows = (
        selectors.points_ledger(org, year=year, per_point=rule.number)
        if rule and rule.number is not None
        else []
    )
    return render(
        request,
        "assessments/mechanisms/points_ledger.html",
        {"org": org, "year": year, "rule": rule, "rows": rows, "months": range(1, 13)},
    )


@require_GET
@login_required
def points_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org, _ = access.get_branch(request.user, pk)
    rule = _points_rule()
    return export_download(
        exports.PointsLedgerExport(
            by=request.user, org=org, year=_year(request), per_point=rule and rule.number
        )
    )
