"""Who may call the API and how often: the service-account token (``Authorization:
Bearer <token>``), its rate limit, the page size, and errors as Chinese JSON.

A token answers for its service account holding the token's rights over its subtree
(``branches.access.act_as_token``), so every rule of ``branches.access`` and
``assessments.access`` applies to it as to a person on the pages: outside the subtree 404,
inside without the right 403."""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.throttling import SimpleRateThrottle

from ..access import act_as_token
from ..models import ApiToken
from ..services import BranchesError

KEYWORD = "Bearer"
TOKEN_MAX_LENGTH = 100
INVALID = "令牌无效：请在请求头 Authorization 中提供安全管理员创建的接口令牌（Bearer 令牌）。"
REVOKED = "该接口令牌已被吊销，不能再使用。"


def digest(key: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``: the token's service account with its rights.
    A revoked token is refused (401) and its refused use is logged like any other."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() != KEYWORD.lower():
            return None
        if len(header) != 2 or len(header[1]) > TOKEN_MAX_LENGTH:
            raise exceptions.AuthenticationFailed(INVALID)
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID) from None
        token = (
            ApiToken.objects.select_related("account", "organization")
            .filter(key_hash=digest(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID)
        request.api_token = token  # the use is logged whatever the answer
        if not token.is_active or not token.account.is_active:
            raise exceptions.AuthenticationFailed(REVOKED)
        return act_as_token(token), token

    def authenticate_header(self, request) -> str:
        return KEYWORD


class BoundedJSONParser(JSONParser):
    """JSON of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (the forms' bound), read no
    further than that, with Chinese errors."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise exceptions.ParseError(f"请求内容超过 {limit // (1024 * 1024)} MB。")
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise exceptions.ParseError("请求内容不是有效的 JSON（UTF-8 编码）。") from None


class TokenScheme(OpenApiAuthenticationExtension):
    """The token as the schema states it (the docs page's 'Authorize' button)."""

    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=KEYWORD
        )


class TokenRateThrottle(SimpleRateThrottle):
    """At most API_RATE_PER_MINUTE requests a minute per token (429 past it)."""

    scope = "api_token"

    def get_rate(self) -> str:
        return f"{settings.API_RATE_PER_MINUTE}/min"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None  # a person reading the schema in their session
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class Pagination(PageNumberPagination):
    """``?page=N&page_size=M``: M at most API_MAX_PAGE_SIZE; a page that is not a
    positive number, or past the last, is a 400 saying so."""

    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return settings.API_PAGE_SIZE
        if not text.isdigit() or not 1 <= int(text) <= settings.API_MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {"page_size": [f"每页条数应为 1 至 {settings.API_MAX_PAGE_SIZE} 的整数。"]}
            )
        return int(text)

    def paginate_queryset(self, queryset, request, view=None):
        text = request.query_params.get(self.page_query_param, "1")
        if not text.isdigit() or len(text) > 9 or int(text) < 1:
            raise exceptions.ValidationError({"page": ["页码应为正整数。"]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"page": ["页码超出范围。"]}) from None


def exception_handler(exc, context):
    """DRF's answers (in Chinese through the locale), and the domain's refusals as 400s:
    a body past the bound, a service's BranchesError or a model's ValidationError never
    becomes an HTML page or a 500."""
    # Imported here: rest_framework.views reads this module's classes from the settings.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        exc = exceptions.ParseError(f"请求内容超过 {limit} MB。")
    elif isinstance(exc, BranchesError):
        exc = exceptions.ValidationError({"detail": [str(exc)]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError({"detail": exc.messages})
    return drf_exception_handler(exc, context)
