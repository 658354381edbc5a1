"""Pairing pages: list, create, the pair's page (agreement, weaknesses, diagnosis, plans,
帮扶台账, monthly reports, quarterly scores, 约谈, acceptance), the agreement PDF and the
exports. Each POST: access helper → form → one service → message and redirect."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import access as branch_access
from branches.access import Perm
from branches.models import OrgKind
from branches.toolkit.downloads import attachment, export_download
from branches.toolkit.http import AuthenticatedHttpRequest

from ...models import EffectKind, PairingStatus
from ...services.errors import AssessmentError
from .. import access, exports, forms, rules, selectors
from ..access import DEPT, HELPER, SECRETARY
from ..services import pairing


def _form_errors(form) -> str:
    """The form's errors, each after its field's label (the inline forms show no label)."""
    return "；".join(
        f"{form.fields[field].label}：{e}" if field in form.fields else str(e)
        for field, errors in form.errors.items()
        for e in errors
    )[:300]


@require_GET
@login_required
def pairing_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    pairings = access.visible_pairings(request.user).order_by("organization__tree_key", "-start")
    return render(
        request,
        "assessments/mechanisms/pairing_list.html",
        {"pairings": pairings, "can_create": access.can_create_pairing(request.user)},
    )


@require_GET
@login_required
def pairing_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    return export_download(exports.PairingExport(by=request.user))


@require_http_methods(["GET", "POST"])
@login_required
def pairing_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    branch_access.require(request.user, Perm.MANAGE_CAMPAIGNS)
    branches = branch_access.visible_orgs(request.user, Perm.MANAGE_CAMPAIGNS).filter(
        kind__in=[OrgKind.BRANCH, OrgKind.GENERAL_BRANCH]
    )
    helpers = selectors.helper_choices()
    form = forms.PairingForm(request.POST or None, branches=branches, helpers=helpers)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        org = data.pop("organization")
        try:
            created = pairing.create_pairing(
                by=request.user,
                organization=org,
                supervisor=org.enterprise or org,
                data=data,
            )
        except AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已建立结对“{created}”，请甲乙双方和监督方签字。")
            return redirect("pairing_detail", pk=created.pk)
    return render(request, "assessments/mechanisms/pairing_form.html", {"form": form})


@require_GET
@login_required
def pairing_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    p, roles = access.get_pairing(request.user, pk)
    return _detail(request, p, roles)


def _detail(request: HttpRequest, p, roles: set[str], bound: dict | None = None) -> HttpResponse:
    """The pair's page; ``bound`` holds a refused form with what was typed, shown open."""
    return render(
        request,
        "assessments/mechanisms/pairing_detail.html",
        {
            "p": p,
            "roles": roles,
            "passed_bands": pairing.passed_bands(),
            **selectors.pairing_records(p),
            "diagnoses": p.diagnoses.all(),
            "months": pairing.visits_by_month(p),
            "visits": p.visits.select_related("recorded_by"),
            "reports": p.reports.select_related("reported_by"),
            "evaluations": p.evaluations.select_related("evaluated_by"),
            "events": p.events.select_related("actor"),
            "effects": selectors.pairing_effects(p),
            "settings": _settings(),
            "bound": bound or {},
            "forms": {
                "weakness": forms.TextForm(),
                "diagnosis": forms.DiagnosisForm(),
                "plan_item": forms.PlanItemForm(),
                "visit": forms.VisitForm(),
                "report": forms.MonthlyReportForm(),
                "evaluate": forms.EvaluationForm(),
                "accept": forms.AcceptanceForm(),
                "interview": forms.InterviewForm(),
                "done": forms.TextForm(),
                "verify": forms.VerifyForm(),
                **(bound or {}),
            },
        },
    )


def _settings():
    try:
        return rules.mechanism_settings()
    except AssessmentError:
        return None


@dataclass(frozen=True)
class Act:
    roles: set[str]
    form: type | None
    run: Callable  # run(pairing, user, cleaned_data) -> message


def _weakness(p, user, data) -> str:
    pairing.add_weakness(p, by=user, problem=data["text"])
    return "已加入短板问题清单。"


def _diagnosis(p, user, data) -> str:
    pairing.write_diagnosis(p, by=user, data=data)
    return "已保存诊断报告。"


def _plan_item(p, user, data) -> str:
    pairing.add_plan_item(p, by=user, **data)
    return "已加入提升方案。"


def _visit(p, user, data) -> str:
    pairing.record_visit(p, by=user, data=data)
    return "已记入帮扶台账。"


def _report(p, user, data) -> str:
    pairing.submit_monthly_report(p, by=user, data=data)
    return "已报告本月进展。"


def _sign(p, user, party: str) -> str:
    p = pairing.sign_pairing(p, by=user, party=party)
    label = pairing.PARTIES[party][1]
    return f"{label}已签字。" + ("三方签字完毕，责任书生效。" if p.signed else "")


def _evaluate(p, user, data) -> str:
    e = pairing.evaluate_pairing(p, by=user, **data)
    text = f"{e.year}年第{e.quarter}季度帮扶成效 {e.score.normalize():f} 分：{e.band}。"
    if e.band in pairing.passed_bands():
        text += "支部可申报“标准化提升示范党支部”。"
    if e.interviews.exists():
        text += "已登记对支部书记的约谈。"
    if e.replans.exists():
        text += "已开启重新制定的帮扶方案。"
    barred = [
        x.label
        for x in selectors.pairing_effects(p)
        if x.in_force and x.year == e.year and x.kind == EffectKind.NOT_EXCELLENT
    ]
    if barred and e.band not in pairing.passed_bands():
        text += f"已记入{e.year}年度：{barred[0]}。"
    return text


def _accept(p, user, data) -> str:
    p = pairing.accept_pairing(p, by=user, **data)
    text = f"期末验收：{p.get_status_display()}。"
    recorded = [e.label for e in selectors.pairing_effects(p) if e.in_force]
    if p.status == PairingStatus.PASSED and recorded:
        text += f"已记入{p.end.year}年度：{'、'.join(recorded)}。"
    return text


ACTIONS: dict[str, Act] = {
    "sign_a": Act({HELPER}, None, lambda p, u, d: _sign(p, u, "a")),
    "sign_b": Act({SECRETARY}, None, lambda p, u, d: _sign(p, u, "b")),
    "sign_s": Act({DEPT}, None, lambda p, u, d: _sign(p, u, "s")),
    "weakness": Act({DEPT, HELPER}, forms.TextForm, _weakness),
    "diagnosis": Act({HELPER}, forms.DiagnosisForm, _diagnosis),
    "plan_item": Act({HELPER, SECRETARY}, forms.PlanItemForm, _plan_item),
    "visit": Act({HELPER}, forms.VisitForm, _visit),
    "report": Act({SECRETARY}, forms.MonthlyReportForm, _report),
    "evaluate": Act({DEPT}, forms.EvaluationForm, _evaluate),
    "accept": Act({DEPT}, forms.AcceptanceForm, _accept),
}


@require_POST
@login_required
def pairing_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    act = ACTIONS.get(action)
    if act is None:
        raise Http404
    p, roles = access.get_pairing(request.user, pk, act.roles)
    data = {}
    form = None
    if act.form is not None:
        form = act.form(request.POST)
        if not form.is_valid():
            # Refused, the form comes back open on the page with what was typed.
            messages.error(request, _form_errors(form))
            return _detail(request, p, roles, {action: form})
        data = form.cleaned_data
    try:
        messages.success(request, act.run(p, request.user, data))
    except AssessmentError as exc:
        messages.error(request, str(exc))  # the form, with what was typed, is below
        if form is not None:
            form.add_error(None, str(exc))
            return _detail(request, p, roles, {action: form})
    return redirect("pairing_detail", pk=p.pk)


@require_GET
@login_required
def pairing_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    p, _ = access.get_pairing(request.user, pk)
    content = exports.agreement_pdf(p)
    return attachment(
        content,
        filename=f"结对提升责任书-{p.organization.name}.pdf",
        content_type="application/pdf",
    )


@require_GET
@login_required
def pairing_ledger(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    p, _ = access.get_pairing(request.user, pk)
    return export_download(exports.PairingLedgerExport(by=request.user, pairing=p))


# -- a branch's problem list: the one list, filtered to the branch --------------------------


@require_GET
@login_required
def branch_items(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The mechanisms' problem list became the branch's one list (``rectification_list``)."""
    org, _ = access.get_branch(request.user, pk)
    return redirect(f"{reverse('rectification_list')}?org={org.pk}")


@require_GET
@login_required
def branch_items_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org, _ = access.get_branch(request.user, pk)
    return redirect(f"{reverse('rectification_list')}?org={org.pk}&format=xlsx")


# -- 约谈 -----------------------------------------------------------------------------------


@require_GET
@login_required
def interview_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _interview_page(request)


def _interview_page(
    request: AuthenticatedHttpRequest, refused: tuple[int, Mapping[str, Any]] | None = None
) -> HttpResponse:
    """The 约谈 list; a refused record comes back in its row with what was typed."""
    interviews = [
        (i, refused[1] if refused and i.pk == refused[0] else {})
        for i in exports.visible_interviews(request.user)
    ]
    return render(
        request,
        "assessments/mechanisms/interview_list.html",
        {
            "interviews": interviews,
            "can_record": branch_access.has_perm(request.user, Perm.MANAGE_CAMPAIGNS),
        },
    )


@require_GET
@login_required
def interview_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    return export_download(exports.InterviewExport(by=request.user))


@require_POST
@login_required
def interview_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    interview = exports.visible_interviews(request.user).filter(pk=pk).first()
    if interview is None:
        raise Http404
    if DEPT not in access.org_roles(request.user, interview.organization):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = forms.InterviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _interview_page(request, (interview.pk, form.data))
    pairing.record_interview(interview, by=request.user, **form.cleaned_data)
    messages.success(request, f"已登记约谈{interview.secretary_name}的情况。")
    return redirect("interview_list")
