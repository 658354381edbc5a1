"""Writes: enrolment, verification (each failure counted and audited), reset."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..models import AuditAction, User
from ..toolkit import audit
from . import selectors

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "身份验证器"
RECOVERY_DEVICE_NAME = "恢复码"
WRONG_CODE = "验证码不正确，请输入身份验证器上当前显示的 6 位数字，或一个未用过的恢复码。"


class SecondFactorError(Exception):
    """A refused step; the message is shown to the user as is (Chinese)."""


@dataclass(frozen=True)
class Verified:
    device: Device
    recovery_used: bool
    recovery_left: int


def normalize(token: str) -> str:
    """What the user typed, without the spaces and dashes apps and printouts add."""
    return "".join(ch for ch in token if ch not in " -\t").lower()


def _refused_while_throttled(device: Device) -> str | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    if info and info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        wait = max(1, int((info["locked_until"] - timezone.now()).total_seconds() + 0.999))
        return f"验证码连续错误 {info['failure_count']} 次，请 {wait} 秒后再试。"
    return "暂时不能验证，请稍后再试。"


def _failed(user: User, reason: str) -> None:
    audit.record(
        user, AuditAction.OTP_FAILED, {"reason": {"label": "原因", "old": None, "new": reason}}
    )


def _check(device: Device, token: str) -> bool:
    """The device's own check (which counts failures for throttling), under a row lock
    so two requests cannot both use one code."""
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        return locked.verify_token(token)


def start_enrolment(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose key the enrolment page shows (the same one until it
    is confirmed, so reloading the page keeps the QR code)."""
    if selectors.is_enrolled(user):
        raise SecondFactorError("已绑定身份验证器。如需更换，请联系安全管理员重置。")
    device = selectors.totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def confirm_enrolment(device: TOTPDevice, *, user: User, token: str) -> list[str]:
    """Confirm the device with a code it shows; returns the new recovery codes (shown
    once). A wrong code is counted, throttled and audited."""
    if device.user_id != user.pk or device.confirmed:
        raise SecondFactorError("该绑定已失效，请刷新页面重新扫码。")
    token = normalize(token)
    if refusal := _refused_while_throttled(device):
        _failed(user, "绑定时尝试过于频繁")
        raise SecondFactorError(refusal)
    if not (token.isdigit() and len(token) == device.digits and _check(device, token)):
        _failed(user, "绑定时验证码错误")
        raise SecondFactorError(WRONG_CODE)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _new_recovery_codes(user)
        audit.record(
            user,
            AuditAction.OTP_ENROL,
            {
                "device": {"label": "设备", "old": None, "new": APP_DEVICE_NAME},
                "recovery": {"label": "恢复码", "old": None, "new": f"{len(codes)} 个"},
            },
        )
    device.confirmed = True
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify(*, user: User, token: str) -> Verified:
    """Check a code from the authenticator app (6 digits) or a recovery code (used up
    by this). Refused codes raise SecondFactorError and are audited."""
    token = normalize(token)
    app = selectors.totp_device(user)
    if app is None:
        raise SecondFactorError("尚未绑定身份验证器。")
    is_app_code = token.isdigit() and len(token) == app.digits
    device: Device | None = app if is_app_code else selectors.static_device(user, token)
    if device is None or not token:
        _failed(user, "恢复码错误（没有可用的恢复码）")
        raise SecondFactorError(WRONG_CODE)
    if refusal := _refused_while_throttled(device):
        _failed(user, "尝试过于频繁")
        raise SecondFactorError(refusal)
    if not _check(device, token):
        _failed(user, "动态验证码错误" if is_app_code else "恢复码错误")
        raise SecondFactorError(WRONG_CODE)
    left = selectors.recovery_codes_left(user)
    if not is_app_code:
        audit.record(
            user,
            AuditAction.OTP_RECOVERY,
            {"left": {"label": "剩余恢复码", "old": None, "new": f"{left} 个"}},
        )
    return Verified(device=device, recovery_used=not is_app_code, recovery_left=left)


def reset_second_factor(person: User, *, by: User) -> int:
    """Delete every device of ``person`` (they enrol again at their next login); the
    caller checked ``access.reset_refusal``. Returns how many devices were removed."""
    with transaction.atomic(), audit.acting(by, audit.current().source):
        removed = 0
        for model in (TOTPDevice, StaticDevice):
            removed += model.objects.filter(user=person).count()
            model.objects.filter(user=person).delete()
        audit.record(
            person,
            AuditAction.OTP_RESET,
            {
                "devices": {
                    "label": "动态验证码",
                    "old": None,
                    "new": f"已删除 {removed} 个设备，下次登录时须重新绑定",
                }
            },
        )
    return removed


def enrol_demo_devices(*, usernames: list[str]) -> int:
    """Give the demo's privileged logins a device (named DEMO_DEVICE_NAME, whose current
    code `manage.py otp_code` prints), so a visitor can log in without a phone. Kept
    when it exists; returns how many were made."""
    made = 0
    for user in User.objects.filter(username__in=usernames).order_by("username"):
        if not selectors.requires_second_factor(user) or selectors.is_enrolled(user):
            continue
        TOTPDevice.objects.create(user=user, name=selectors.DEMO_DEVICE_NAME, confirmed=True)
        audit.record(
            user,
            AuditAction.OTP_ENROL,
            {"device": {"label": "设备", "old": None, "new": selectors.DEMO_DEVICE_NAME}},
        )
        made += 1
    return made
