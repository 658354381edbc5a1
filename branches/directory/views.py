"""The directory sign-ins' pages: the single sign-on entry points (OpenID Connect, CAS;
404 while not configured), the sign-out (through the provider's after a single sign-on)
and the 安全管理员's page of role proposals."""

import logging

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_cas_ng import views as cas_views
from mozilla_django_oidc import views as oidc_views

from ..services import BranchesError
from ..toolkit.http import AuthenticatedHttpRequest
from . import access, selectors, services

logger = logging.getLogger(__name__)

UNAVAILABLE = "统一身份认证服务暂时无法访问，请稍后重试，或使用工号和密码登录。"


def _refused(request: HttpRequest) -> HttpResponse:
    """Back to the login page, saying why the single sign-on did not let the person in."""
    if refusal := selectors.refusal(request):
        message = f"统一身份认证未能登录：{refusal[1]}。"
    else:
        message = "统一身份认证未通过，请重新登录，或使用工号和密码登录。"
    messages.error(request, message)
    return redirect("login")


class _OIDCCallback(oidc_views.OIDCAuthenticationCallbackView):
    def login_failure(self) -> HttpResponse:
        return _refused(self.request)


@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    """To the OpenID Connect provider (state, nonce and PKCE kept in the session)."""
    if not settings.OIDC_ENABLED:
        raise Http404("未配置统一身份认证")
    return oidc_views.OIDCAuthenticationRequestView.as_view()(request)


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Back from the provider: the code is exchanged for tokens, the 工号 claim names the
    account."""
    if not settings.OIDC_ENABLED:
        raise Http404("未配置统一身份认证")
    try:
        return _OIDCCallback.as_view()(request)
    except requests.RequestException as exc:
        logger.warning("OpenID Connect provider unreachable: %s", exc)
        messages.error(request, UNAVAILABLE)
        return redirect("login")


class _CASLogin(cas_views.LoginView):
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except PermissionDenied:
            return _refused(request)
        except requests.RequestException as exc:
            logger.warning("CAS server unreachable: %s", exc)
            messages.error(request, UNAVAILABLE)
            return redirect("login")


# The CAS server posts its single sign-out requests here, without a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def cas_login(request: HttpRequest) -> HttpResponseBase:
    """To the CAS server, and back with a ticket that it validates."""
    if not settings.CAS_ENABLED:
        raise Http404("未配置统一身份认证")
    return _CASLogin.as_view()(request)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """退出登录: the session ends here; a person who came through a single sign-on then
    goes through the provider's sign-out, which ends its session too and returns to the
    login page (else the next person at this browser would be let in by the button alone)."""
    provider = selectors.sign_out_url(request)
    logout(request)
    return redirect(provider or settings.LOGOUT_REDIRECT_URL)


@require_GET
@login_required
def role_proposals(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Roles suggested by directory groups, waiting for the 安全管理员."""
    access.require_proposals(request.user)
    return render(
        request,
        "branches/role_proposals.html",
        {
            "pending": selectors.role_proposals(request.user, pending=True)[:200],
            "decided": selectors.role_proposals(request.user, pending=False)[:30],
            "mapping": settings.LDAP_GROUP_ROLES,
        },
    )


@require_POST
@login_required
def role_proposal_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    proposal = access.get_role_proposal(request.user, pk)
    try:
        services.confirm_role_proposal(proposal, by=request.user)
    except BranchesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"已确认并授予：{proposal.user} · {proposal.organization} · "
            f"{proposal.get_role_display()}。",
        )
    return redirect("role_proposals")


@require_POST
@login_required
def role_proposal_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    proposal = access.get_role_proposal(request.user, pk)
    try:
        services.reject_role_proposal(proposal, by=request.user)
    except BranchesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已驳回：{proposal}。")
    return redirect("role_proposals")
