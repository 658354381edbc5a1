"""The authentication backends of the directory sign-ins. Each matches the person the
directory vouches for to the existing account whose username is their 工号, and never
creates or changes an account. Why a person the directory knows was not let in is noted
on the request (``refuse``): the login page says it, the audit trail records it."""

import logging
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django_auth_ldap.backend import LDAPBackend
from django_cas_ng.backends import CASBackend as CASNGBackend
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ..models import User
from . import services

logger = logging.getLogger(__name__)

NO_ACCOUNT = "本系统中没有工号为“{number}”的账号，请联系系统管理员开通"
NO_NUMBER = "目录中该账号没有登记工号，请联系系统管理员"
INACTIVE = "账号已停用"


def refuse(request: HttpRequest | None, number: str, reason: str) -> None:
    """Note why the person the directory vouched for was refused (read by
    ``selectors.refusal`` and by the audit trail's failed-login entry)."""
    if request is not None:
        request.directory_refusal = (number[:150], reason.format(number=number[:150]))  # type: ignore[attr-defined]


def _first(value: Any) -> str:
    """The first value of a directory attribute or claim, as text ("" if none)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value or "").strip()[:150]


def matching_account(request: HttpRequest | None, number: str) -> User | None:
    """The account whose 工号 is ``number``, or None (and the refusal noted)."""
    if not number:
        refuse(request, "", NO_NUMBER)
        return None
    user = User.objects.filter(username=number).first()
    if user is None:
        refuse(request, number, NO_ACCOUNT)
    elif not user.is_active:
        refuse(request, number, INACTIVE)
    return user


class DirectoryBackend(LDAPBackend):
    """LDAP / Active Directory: the person types their 工号 (or directory login name) and
    directory password; the entry's LDAP_EMPLOYEE_NUMBER_ATTR names the account."""

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        attrs = ldap_user.attrs or {}
        number = _first(attrs.get(settings.LDAP_EMPLOYEE_NUMBER_ATTR))
        user = matching_account(getattr(ldap_user, "_request", None), number)
        if user is None:
            # "Built": refused by AUTH_LDAP_NO_NEW_USERS, never saved.
            return User(username=number or username), True
        return user, False

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> User | None:
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None and user.is_active and settings.LDAP_GROUP_ROLES:
            group_dns = (
                ldap_user.group_dns if getattr(settings, "AUTH_LDAP_GROUP_TYPE", None) else set()
            )
            services.propose_directory_roles(user=user, group_dns=set(group_dns))
        return user


class OIDCBackend(OIDCAuthenticationBackend):
    """OpenID Connect: the claim OIDC_EMPLOYEE_NUMBER_CLAIM of the userinfo names the
    account."""

    def verify_claims(self, claims: dict) -> bool:
        if _first(claims.get(settings.OIDC_EMPLOYEE_NUMBER_CLAIM)):
            return True
        refuse(self.request, "", NO_NUMBER)
        return False

    def filter_users_by_claims(self, claims: dict):
        number = _first(claims.get(settings.OIDC_EMPLOYEE_NUMBER_CLAIM))
        user = matching_account(self.request, number)
        if user is None or not user.is_active:
            return User.objects.none()
        return User.objects.filter(pk=user.pk)


class CASBackend(CASNGBackend):
    """CAS: the user id of the ticket (or the attribute CAS_EMPLOYEE_NUMBER_ATTRIBUTE)
    names the account."""

    def authenticate(self, request: HttpRequest, ticket: str, service: str) -> User | None:  # type: ignore[override]
        self._number: str | None = None
        user = cast(User | None, super().authenticate(request, ticket, service))
        if user is None and self._number is None:
            refuse(request, "", "统一身份认证的票据无效或已过期，请重新登录")
        elif user is None:
            matching_account(request, self._number or "")
        return user

    def clean_username(self, username: str) -> str:
        self._number = _first(username)
        return self._number
