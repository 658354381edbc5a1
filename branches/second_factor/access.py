"""Who may reset whose second factor (the 安全管理员 over the person's scope)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .. import access
from ..access import Perm
from ..models import ADMIN_ROLES, User
from . import selectors


def reset_refusal(by: User, person: User) -> str | None:
    """Why ``by`` may not reset ``person``'s second factor (None: may). A superuser or a
    安全管理员 whose grant scope holds every role the person has; never one's own, and
    only a superuser resets a superuser's or another administrator's (三员分立: no
    administrator acts on another)."""
    if person.pk == by.pk:
        return "不能重置自己的动态验证码，请联系其他安全管理员或超级管理员。"
    if by.is_superuser:
        return None
    if person.is_superuser:
        return "超级管理员的动态验证码只能由超级管理员重置。"
    if not access.has_perm(by, Perm.GRANT_ROLES):
        return "只有安全管理员可以重置动态验证码。"
    if any(m.role in ADMIN_ROLES for m in person.memberships.all()):
        return "系统管理员、安全管理员、审计员的动态验证码只能由超级管理员重置。"
    outside = [
        m
        for m in person.memberships.all()  # prefetched with their organizations by the list
        if not access.has_perm(by, Perm.GRANT_ROLES, m.organization)
    ]
    if outside:
        return (
            f"该用户在您的管理范围之外还有角色（{outside[0].organization.name}），"
            "请联系上级安全管理员重置。"
        )
    return None


def require_resetter(by: User) -> None:
    """403 unless ``by`` resets second factors somewhere (a 安全管理员, a superuser)."""
    if not (by.is_superuser or access.has_perm(by, Perm.GRANT_ROLES)):
        raise PermissionDenied


def get_person(by: User, pk: int, *, reset: bool = False) -> User:
    """An account whose second factor ``by`` sees (else 404); with ``reset``, 403 unless
    ``by`` may also reset it."""
    require_resetter(by)
    try:
        person = selectors.reset_scope_users(by).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("用户不存在或无权查看") from None
    if reset and reset_refusal(by, person):
        raise PermissionDenied
    return person
