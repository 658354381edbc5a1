import time
from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.signing import BadSignature
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .. import passwords
from ..directory.selectors import sign_out_url, signed_in_with_directory
from . import audit

IDLE_KEY = "last_activity"
TOUCH_SECONDS = 60
ACTIVITY_COOKIE = "last_activity"


class IdleTimeoutMiddleware:
    """Log a user out once SESSION_IDLE_MINUTES have passed since their last request.

    The session keeps the time of the last request at most once a minute (a session write
    per request is a database write per request, which on SQLite serializes every page
    behind every other); each response also sets a cookie, signed and bound to the session,
    with the exact time, which counts when it lies within that minute (so the limit is
    exact while the browser keeps its cookie; a forged or another session's cookie fails
    its signature, and a stale one is ignored)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = time.time()
        if request.user.is_authenticated:
            last = self._last_activity(request)
            if last is not None and now - last >= settings.SESSION_IDLE_MINUTES * 60:
                # After a single sign-on the provider's session ends too (as 退出登录 does):
                # else the next person at this browser is let in by the button alone.
                provider = sign_out_url(request)
                logout(request)
                messages.info(
                    request,
                    f"您已超过 {settings.SESSION_IDLE_MINUTES} 分钟未操作，"
                    "为保护数据安全已自动退出，请重新登录。",
                )
                response: HttpResponse = redirect(
                    provider or f"{reverse('login')}?next={request.path}"
                )
                if provider and request.headers.get("HX-Request"):
                    # htmx would follow the redirect in the background: the page goes.
                    response = HttpResponse(headers={"HX-Redirect": provider})
                response.delete_cookie(ACTIVITY_COOKIE)
                return response
            stored = request.session.get(IDLE_KEY)
            if stored is None or now - int(stored) >= TOUCH_SECONDS:
                request.session[IDLE_KEY] = int(now)
        response = self.get_response(request)
        if request.user.is_authenticated and request.session.session_key:
            response.set_signed_cookie(
                ACTIVITY_COOKIE,
                repr(now),
                salt=self._salt(request),
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response

    @staticmethod
    def _salt(request) -> str:
        return f"idle:{request.session.session_key}"

    def _last_activity(self, request) -> float | None:
        stored = request.session.get(IDLE_KEY)
        if stored is None:
            return None
        stored = float(stored)
        cookie = None
        # No cookie, or not this session's: the session's own time counts.
        with suppress(KeyError, BadSignature, ValueError):
            cookie = float(request.get_signed_cookie(ACTIVITY_COOKIE, salt=self._salt(request)))
        # A request a minute or more after the stored time stores its own: a genuine cookie
        # is never that far ahead, so no cookie keeps a session alive the server saw idle.
        if cookie is not None and stored <= cookie < stored + TOUCH_SECONDS:
            return cookie
        return stored


class AuditContextMiddleware:
    """Attribute every change made while serving a request to the logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "admin" if request.path.startswith("/admin/") else "web"
        actor = request.user if request.user.is_authenticated else None
        with audit.acting(actor, source, audit.client_ip(request)):
            return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in a query or form value is a 400: no page needs one, and
    PostgreSQL refuses to store or compare text holding it (a 500 deep in a view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import BadRequest

        data = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            data.append(request.POST)
        for query in data:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadRequest(f"参数“{key[:20]}”含有不允许的字符（NUL）。")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Send a user whose password must be changed (set by an administrator, or expired)
    to the change-password page until it is done; logging out stays possible."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            passwords.change_required(request.user)
            and not signed_in_with_directory(request)
            and not self._exempt(request.path)
        ):
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("password_change")
                return response
            return redirect("password_change")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        from ..second_factor.middleware import PREFIX as SECOND_FACTOR_PAGES

        allowed = {reverse("password_change"), reverse("password_change_done"), reverse("logout")}
        return (
            path in allowed
            or path.startswith(settings.STATIC_URL)
            # The second factor comes first (its middleware runs before this one).
            or path.startswith(SECOND_FACTOR_PAGES)
        )
