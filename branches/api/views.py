"""The API's organization and roster endpoints, and the 安全管理员's token pages.

Every endpoint answers through the same access helpers as the pages (``branches.access``:
404 outside what the token sees, 403 without the right) and logs the token's use."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from .. import access
from ..access import Perm
from ..models import ApiToken, Organization, User
from ..roster import selectors as roster_selectors
from ..services import BranchesError
from ..toolkit import audit
from ..toolkit.http import AuthenticatedHttpRequest
from . import selectors, services
from .forms import TokenForm
from .serializers import (
    MemberFilter,
    MemberSerializer,
    MemberSync,
    OrganizationFilter,
    OrganizationSerializer,
    OrganizationSync,
    SyncReport,
)

REFUSED = {
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="令牌缺失、无效或已吊销"),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="令牌无此权限"),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="不存在，或在令牌范围之外"),
}
BAD_INPUT = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="请求有误（中文原因）")}


def caller(request: Request) -> User:
    """The token's service account, with the token's rights (see ``access``)."""
    if not isinstance(request.user, User):
        raise exceptions.NotAuthenticated
    return request.user


def calling_token(request: Request) -> ApiToken:
    if not isinstance(request.auth, ApiToken):
        raise exceptions.NotAuthenticated
    return request.auth


class TokenView(generics.GenericAPIView):
    """Logs every request made with a token, accepted or refused."""

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        token = getattr(request, "api_token", None)
        if token is not None:
            services.record_use(
                token,
                method=request.method or "",
                path=request.get_full_path(),
                status=response.status_code,
                ip=audit.client_ip(request),
            )
        return response

    def query(self, serializer_class) -> dict:
        """The query's parameters, checked (400 with the reasons)."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def org_by_code(request: Request, code: str, getter=access.get_org, **kwargs) -> Organization:
    """The organization with this code through the access helper ``getter``."""
    # A code is at most 32 characters; a NUL in one (possible in a path) is no code at all
    # (PostgreSQL refuses to compare text holding it).
    pk = selectors.org_id(code) if len(code) <= 32 and "\x00" not in code else None
    if pk is None:
        raise Http404("组织不存在或无权查看")
    return getter(caller(request), pk, **kwargs)


def _sync_answer(report: dict) -> Response:
    """The import's report as the API answers it: 200 when stored, 400 (nothing stored)
    with each refused item's reasons."""
    body = {
        "ok": report["ok"],
        "total": report["total"],
        "counts": report["counts"],
        "errors": [{"row": r["row"], "errors": r["errors"]} for r in report["rows"] if r["errors"]],
    }
    return Response(body, status=status.HTTP_200_OK if report["ok"] else 400)


class OrganizationList(TokenView):
    serializer_class = OrganizationSerializer

    def get_queryset(self):
        user = caller(self.request)
        access.require(user, Perm.VIEW_ORG)
        return selectors.organizations(user, **self.query(OrganizationFilter))

    @extend_schema(
        operation_id="organizations_list",
        summary="组织架构（令牌范围内，上级在前）",
        parameters=[OrganizationFilter],
        responses={200: OrganizationSerializer(many=True), **BAD_INPUT, **REFUSED},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="organizations_sync",
        summary="同步组织架构（按编码新增或修改；相同内容再次同步不做任何修改）",
        request=OrganizationSync,
        responses={200: SyncReport, **BAD_INPUT, **REFUSED},
    )
    def put(self, request: Request) -> Response:
        user = caller(request)
        access.require(user, Perm.MANAGE_ORG)
        items = self.body(OrganizationSync)["organizations"]
        rows = [[i["code"], i["name"], i["kind"], i["parent_code"]] for i in items]
        return _sync_answer(services.sync_tree(calling_token(request), by=user, rows=rows))


class OrganizationDetail(TokenView):
    serializer_class = OrganizationSerializer

    @extend_schema(
        operation_id="organizations_retrieve",
        summary="一个组织",
        responses={200: OrganizationSerializer, **REFUSED},
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(self.get_serializer(org_by_code(request, code)).data)


class MemberList(TokenView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        org = org_by_code(self.request, self.kwargs["code"], access.get_roster_org)
        return roster_selectors.roster(org, **self.query(MemberFilter))

    @extend_schema(
        operation_id="members_list",
        summary="党支部（党总支）的党员名册",
        parameters=[MemberFilter],
        responses={200: MemberSerializer(many=True), **BAD_INPUT, **REFUSED},
    )
    def get(self, request: Request, code: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="members_sync",
        summary="同步党员名册（按姓名新增或修改；未列出的党员保持不变）",
        request=MemberSync,
        responses={200: SyncReport, **BAD_INPUT, **REFUSED},
    )
    def put(self, request: Request, code: str) -> Response:
        org = org_by_code(request, code, access.get_roster_org, perm=Perm.MANAGE_MEMBERS)
        items = self.body(MemberSync)["members"]
        rows = [
            [
                i["name"],
                i["status"],
                i["party_group"],
                i["joined_on"],
                i["phone"],
                i["left_on"],
                i["note"],
            ]
            for i in items
        ]
        return _sync_answer(
            services.sync_roster(calling_token(request), org, by=caller(request), rows=rows)
        )


# -- the 安全管理员's token pages ----------------------------------------------------------


def _require_tokens(user) -> None:
    """Tokens are issued and revoked by the 安全管理员 alone (三员分立: the 系统管理员 never
    issues a way to read scores); the 审计员 reads them and their uses."""
    if not access.has_perm(user, Perm.GRANT_ROLES):
        raise PermissionDenied


# The create form carries a one-time value kept in the session: a reloaded or re-sent
# answer (the browser's back button, "重新提交表单") makes no second token whose key nobody saw.
FORM_ONCE = "api_token_form_once"


def _list_page(request: AuthenticatedHttpRequest, form: TokenForm | None) -> HttpResponse:
    once = ""
    if form is not None:
        once = request.session[FORM_ONCE] = secrets.token_urlsafe(16)
    return render(
        request,
        "branches/api_tokens.html",
        {"tokens": selectors.tokens(request.user), "form": form, "once": once},
    )


@require_GET
@login_required
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.can_see_tokens(request.user):
        raise PermissionDenied
    manages = access.has_perm(request.user, Perm.GRANT_ROLES)
    return _list_page(request, TokenForm(user=request.user) if manages else None)


@never_cache
@require_POST
@login_required
def api_token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_tokens(request.user)
    once = request.session.pop(FORM_ONCE, None)
    if not once or request.POST.get("once") != once:
        messages.warning(request, "这份表单已经提交过，没有再创建令牌。令牌列表中是已创建的令牌。")
        return redirect("api_tokens")
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _list_page(request, form)
    try:
        token, key = services.create_token(by=request.user, **form.cleaned_data)
    except BranchesError as exc:
        form.add_error(None, str(exc))
        return _list_page(request, form)
    # The key is shown on this answer only (never stored, never in a URL or a message).
    return render(request, "branches/api_token_created.html", {"token": token, "key": key})


@require_GET
@login_required
def api_token_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = access.get_api_token(request.user, pk)
    return render(
        request,
        "branches/api_token_detail.html",
        {
            "token": token,
            "uses": selectors.token_uses(token),
            "can_revoke": access.has_perm(request.user, Perm.GRANT_ROLES),
        },
    )


@require_POST
@login_required
def api_token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = access.get_api_token(request.user, pk, manage=True)
    try:
        services.revoke_token(token, by=request.user)
    except BranchesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已吊销接口令牌“{token.name}”，使用它的请求将被拒绝。")
    return redirect("api_token_detail", pk=token.pk)
