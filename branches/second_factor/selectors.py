"""Reads: who must prove a second factor, and the state of their devices."""

import time

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import access
from ..access import Perm
from ..models import Membership, Role, User

# The roles that decide, score in bulk, manage accounts and grants or read the audit
# trail (GB/T 22239 level 3: privileged users authenticate with two factors).
PRIVILEGED_ROLES = frozenset({Role.DEPT_ADMIN, Role.SYSADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})

# The name load_demo gives the devices of the demo's privileged logins (whose current
# code `manage.py otp_code` prints); never given to a device enrolled through the page.
DEMO_DEVICE_NAME = "演示设备"


def requires_second_factor(user: User) -> bool:
    """The one rule: superusers and holders of a privileged role prove a second factor."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(access.roles(user) & PRIVILEGED_ROLES)


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def static_device(user: User, token: str = "") -> StaticDevice | None:
    """The user's recovery codes: the device holding ``token`` if one does (a superuser
    may also have one from `manage.py addstatictoken`), else the first."""
    devices = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    return devices.filter(token_set__token=token).first() or devices.first()


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app holding the device's key shows now and the device
    accepts next: never a time step already used (a code is good once)."""
    step = max(_time_step(device) + device.drift, device.last_t + 1)
    return str(hotp(device.bin_key, step, digits=device.digits)).zfill(device.digits)


def _time_step(device: TOTPDevice) -> int:
    return (int(time.time()) - device.t0) // device.step


def reset_scope_users(by: User) -> QuerySet[User]:
    """Accounts whose second factor ``by`` may see (and reset where ``reset_refusal``
    allows): holders of a privileged role inside the subtrees where ``by`` grants roles;
    a superuser sees every such account and the superusers."""
    privileged = Membership.objects.filter(role__in=PRIVILEGED_ROLES)
    if by.is_superuser:
        qs = User.objects.filter(Q(is_superuser=True) | Q(pk__in=privileged.values("user")))
    elif access.has_perm(by, Perm.GRANT_ROLES):
        scoped = privileged.filter(access.scope_q(by, Perm.GRANT_ROLES, "organization__path"))
        qs = User.objects.filter(pk__in=scoped.values("user"), is_superuser=False)
    else:
        return User.objects.none()
    codes = (
        StaticToken.objects.filter(device__user=OuterRef("pk"), device__confirmed=True)
        .values("device__user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.annotate(
            enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            codes_left=Coalesce(Subquery(codes), 0),
        )
        .order_by("username")
        .prefetch_related("memberships__organization")
    )
