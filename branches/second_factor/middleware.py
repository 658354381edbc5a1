from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from . import selectors

# Every page of one's own second factor lives under this prefix (config/urls.py).
PREFIX = "/accounts/second-factor/"


def exempt(path: str) -> bool:
    """Pages a user who still owes the second factor may open: its own pages (verify,
    enrol, recovery codes), logging out and static files."""
    return (
        path.startswith(PREFIX) or path == reverse("logout") or path.startswith(settings.STATIC_URL)
    )


class SecondFactorRequiredMiddleware:
    """After the password, a user who ``requires_second_factor`` and has not proved it in
    this session reaches only the verify page (or, without a device, the enrolment
    page): every other page, the admin included, sends them there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not exempt(request.path)
            and selectors.requires_second_factor(user)
            and not user.is_verified()
        ):
            target = reverse(
                "second_factor_verify" if selectors.is_enrolled(user) else "second_factor_enrol"
            )
            if request.method == "GET" and request.path != reverse("home"):
                target = f"{target}?{urlencode({'next': request.get_full_path()})}"
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)
