from base64 import b32encode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..toolkit.downloads import attachment
from ..toolkit.http import AuthenticatedHttpRequest
from . import access, selectors, services
from .forms import CodeForm, EnrolForm

# The recovery codes just made, kept in the session until the user says they are saved.
NEW_CODES_KEY = "second_factor_new_codes"


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next(request)})}"


def _next(request: HttpRequest) -> str:
    """Where to go once the second factor is proved: the page asked for, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if len(target) <= 2000 and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.requires_second_factor(user) or user.is_verified():
        return redirect(_next(request))
    device = selectors.totp_device(user)
    if device is None:
        return redirect(_with_next("second_factor_enrol", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.verify(user=user, token=form.cleaned_data["token"])
        except services.SecondFactorError as exc:
            form.add_error("token", str(exc))
        else:
            django_otp.login(request, result.device)
            if result.recovery_used:
                messages.warning(
                    request,
                    f"已使用一个恢复码登录，还剩 {result.recovery_left} 个。"
                    "手机丢失时请联系安全管理员重置动态验证码。",
                )
            return redirect(_next(request))
    return render(
        request,
        "second_factor/verify.html",
        {
            "form": form,
            "next": _next(request),
            "demo": device.name == selectors.DEMO_DEVICE_NAME,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.requires_second_factor(user):
        return redirect("home")
    if selectors.is_enrolled(user):
        return redirect(_with_next("second_factor_verify", request))
    device = services.start_enrolment(user=user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_enrolment(device, user=user, token=form.cleaned_data["token"])
        except services.SecondFactorError as exc:
            form.add_error("token", str(exc))
        else:
            django_otp.login(request, device)
            request.session[NEW_CODES_KEY] = codes
            messages.success(request, "已绑定身份验证器。请立即保存下面的恢复码。")
            return redirect(_with_next("second_factor_recovery_codes", request))
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, micro=False)
    return render(
        request,
        "second_factor/enrol.html",
        {
            "form": form,
            "next": _next(request),
            "qr_svg": qr.svg_inline(scale=4, dark="#000", light="#fff", title="绑定二维码"),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new recovery codes, shown until the user confirms they are saved."""
    if request.method == "POST":
        request.session.pop(NEW_CODES_KEY, None)
        return redirect(_next(request))
    codes = request.session.get(NEW_CODES_KEY)
    if not codes:
        return redirect(_next(request))
    return render(
        request,
        "second_factor/recovery_codes.html",
        {"codes": codes, "next": _next(request)},
    )


@never_cache
@require_GET
@login_required
def recovery_codes_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    codes = request.session.get(NEW_CODES_KEY)
    if not codes:
        raise Http404("恢复码只在绑定后显示一次")
    text = (
        f"党支部标准化考评 · 恢复码（{request.user.username}）\r\n"
        "每个恢复码只能使用一次，请妥善保管。\r\n\r\n" + "\r\n".join(codes) + "\r\n"
    )
    return attachment(
        text.encode("utf-8"), filename="恢复码.txt", content_type="text/plain; charset=utf-8"
    )


@require_GET
@login_required
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The 安全管理员's list: privileged accounts in scope, bound or not, with a reset."""
    access.require_resetter(request.user)
    rows = [
        (person, access.reset_refusal(request.user, person))
        for person in selectors.reset_scope_users(request.user)
    ]
    return render(request, "second_factor/people.html", {"rows": rows})


@require_POST
@login_required
def reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = access.get_person(request.user, pk, reset=True)
    removed = services.reset_second_factor(person, by=request.user)
    messages.success(
        request,
        f"已重置 {person} 的动态验证码（删除 {removed} 个设备），其下次登录时须重新绑定。",
    )
    return redirect("second_factor_people")
