"""Member posts pages: the branch's 党员岗位责任清单 for a quarter with the claims, the
履职台账 checks, and the monthly 公示栏 of 履职 scores; all exportable."""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import int_param
from branches.toolkit.periods import quarter_of

from ...services.errors import AssessmentError
from .. import access, exports, forms, selectors
from ..access import DEPT, SECRETARY
from ..services import posts

MANAGERS = {DEPT, SECRETARY}


def _period(request: HttpRequest, data=None) -> tuple[int, int]:
    year, quarter, _ = quarter_of(timezone.localdate())
    return (
        int_param(request, "year", year, minimum=2000, maximum=2100, data=data),
        int_param(request, "quarter", quarter, minimum=1, maximum=4, data=data),
    )


def _errors(form) -> str:
    """The form's errors, each after its field's label (the inline forms show no label)."""
    return "；".join(
        f"{form.fields[field].label}：{e}" if field in form.fields else str(e)
        for field, errors in form.errors.items()
        for e in errors
    )[:300]


@require_GET
@login_required
def post_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org, roles = access.get_branch(request.user, pk)
    year, quarter = _period(request)
    return _post_page(request, org, roles, year, quarter)


def _post_page(
    request: AuthenticatedHttpRequest,
    org,
    roles: set[str],
    year: int,
    quarter: int,
    *,
    post_form: forms.PostForm | None = None,
    claim_form: forms.ClaimForm | None = None,
    refused: tuple[int, Mapping[str, Any]] | None = None,
) -> HttpResponse:
    """The quarter's posts page; a refused form comes back in it with what was typed
    (``refused``: a claim's id and what its review or check posted)."""
    quarter_posts = selectors.quarter_posts(org, year, quarter)
    # Each claim with what a refused review or check of it posted, shown back in its row.
    claims = [
        (claim, refused[1] if refused and claim.pk == refused[0] else {})
        for claim in selectors.post_claims(quarter_posts)
    ]
    members = selectors.active_members(org).order_by("name")
    return render(
        request,
        "assessments/mechanisms/post_list.html",
        {
            "org": org,
            "roles": roles,
            "can_manage": bool(roles & MANAGERS),
            "year": year,
            "quarter": quarter,
            "posts": quarter_posts,
            "published": quarter_posts.filter(published_at__isnull=False).exists(),
            "claims": claims,
            "missing": posts.missing_basic(org, year=year, quarter=quarter),
            "post_form": post_form or forms.PostForm(),
            "claim_form": claim_form
            or forms.ClaimForm(
                members=members, posts=quarter_posts.filter(published_at__isnull=False)
            ),
        },
    )


@require_GET
@login_required
def post_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org, _ = access.get_branch(request.user, pk)
    year, quarter = _period(request)
    return export_download(exports.PostExport(by=request.user, org=org, year=year, quarter=quarter))


@require_POST
@login_required
def post_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("add", "publish", "claim"):
        raise Http404
    org, roles = access.get_branch(request.user, pk, MANAGERS)
    year, quarter = _period(request, request.POST)
    back = reverse("post_list", args=[org.pk]) + f"?year={year}&quarter={quarter}"
    form = claim_form = None
    try:
        if action == "add":
            form = forms.PostForm(request.POST)
            if not form.is_valid():
                messages.error(request, _errors(form))
                return _post_page(request, org, roles, year, quarter, post_form=form)
            post = posts.add_post(
                org, by=request.user, year=year, quarter=quarter, **form.cleaned_data
            )
            messages.success(request, f"已加入岗位“{post.title}”。")
        elif action == "publish":
            count = posts.publish_posts(org, by=request.user, year=year, quarter=quarter)
            messages.success(request, f"已公布 {count} 个岗位，党员可以认领。")
        else:
            claim_form = forms.ClaimForm(
                request.POST,
                members=selectors.active_members(org),
                posts=selectors.quarter_posts(org, year, quarter),
            )
            if not claim_form.is_valid():
                messages.error(request, _errors(claim_form))
                return _post_page(request, org, roles, year, quarter, claim_form=claim_form)
            claim = posts.claim_post(
                claim_form.cleaned_data["post"],
                by=request.user,
                member=claim_form.cleaned_data["member"],
            )
            messages.success(
                request, f"已登记{claim.member.name}认领“{claim.post.title}”，待支委会审核。"
            )
    except AssessmentError as exc:
        messages.error(request, str(exc))
        if form is not None or claim_form is not None:
            return _post_page(
                request, org, roles, year, quarter, post_form=form, claim_form=claim_form
            )
    return redirect(back)


@require_POST
@login_required
def claim_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    claim = selectors.claim_or_none(pk)
    if claim is None or action not in ("review", "check"):
        raise Http404
    roles = access.org_roles(request.user, claim.post.organization)
    if not roles:
        raise Http404
    if not roles & MANAGERS:
        raise PermissionDenied
    form = (forms.ReviewClaimForm if action == "review" else forms.CheckForm)(request.POST)
    back = (
        reverse("post_list", args=[claim.post.organization_id])
        + f"?year={claim.post.year}&quarter={claim.post.quarter}"
    )
    post = claim.post
    refused = (claim.pk, form.data)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return _post_page(
            request, post.organization, roles, post.year, post.quarter, refused=refused
        )
    try:
        if action == "review":
            claim = posts.review_claim(claim, by=request.user, **form.cleaned_data)
            messages.success(request, f"{claim.member.name}的认领：{claim.get_status_display()}。")
        else:
            check = posts.record_check(claim, by=request.user, **form.cleaned_data)
            messages.success(request, f"已记入履职台账（{check.get_kind_display()}）。")
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _post_page(
            request, post.organization, roles, post.year, post.quarter, refused=refused
        )
    return redirect(back)


def _month(request: HttpRequest, data=None) -> tuple[int, int]:
    today = timezone.localdate()
    return (
        int_param(request, "year", today.year, minimum=2000, maximum=2100, data=data),
        int_param(request, "month", today.month, minimum=1, maximum=12, data=data),
    )


@require_GET
@login_required
def duty_board(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The 公示栏: every member's 履职 score of the month and its band."""
    org, roles = access.get_branch(request.user, pk)
    year, month = _month(request)
    return _duty_page(request, org, roles, year, month)


def _duty_page(
    request: AuthenticatedHttpRequest,
    org,
    roles: set[str],
    year: int,
    month: int,
    form: forms.DutyScoreForm | None = None,
) -> HttpResponse:
    """The month's 公示栏; a refused score comes back in it with what was typed."""
    members = selectors.active_members(org).order_by("party_group", "name")
    scores = selectors.month_duty_scores(org, year, month)
    return render(
        request,
        "assessments/mechanisms/duty_board.html",
        {
            "org": org,
            "year": year,
            "month": month,
            "rows": [(m, scores.get(m.pk)) for m in members],
            "can_manage": bool(roles & MANAGERS),
            "form": form
            or forms.DutyScoreForm(members=members, initial={"year": year, "month": month}),
        },
    )


@require_GET
@login_required
def duty_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org, _ = access.get_branch(request.user, pk)
    year, month = _month(request)
    return export_download(
        exports.DutyLedgerExport(by=request.user, org=org, year=year, month=month)
    )


@require_POST
@login_required
def duty_score(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org, roles = access.get_branch(request.user, pk, MANAGERS)
    form = forms.DutyScoreForm(request.POST, members=selectors.active_members(org))
    year, month = _month(request, request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return _duty_page(request, org, roles, year, month, form)
    data = dict(form.cleaned_data)
    try:
        s = posts.score_member(data.pop("member"), by=request.user, **data)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return _duty_page(request, org, roles, year, month, form)
    messages.success(
        request,
        f"{s.member.name} {s.year}年{s.month}月履职得分 {s.score.normalize():f}：{s.band}。",
    )
    return redirect(reverse("duty_board", args=[org.pk]) + f"?year={s.year}&month={s.month}")
