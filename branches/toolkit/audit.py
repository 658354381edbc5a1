"""The audit trail: every create, update and delete of organizations, memberships,
users and cross-review groups is recorded with who, when and old → new; so are
logins, logouts and failed logins (Django's auth signals), and score-sheet changes
(entries, veto findings and notes, recorded in bulk by the sheet services, one row per
save; evidence and transitions through the model signals).

Recording hangs on model signals so that every path (views, services, the admin,
imports, management commands) is covered; the acting user, the source and the client
address come from a context variable that the middleware, the import service and
commands set. Entries are append-only (see AuditEntry).
"""

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save, pre_save

# Fields whose change is noise or secret: never diffed (passwords are noted, not shown).
IGNORED_FIELDS = {
    "path",
    "depth",
    "enterprise",
    "updated_at",
    "created_at",
    "last_login",
    "password_changed_at",
}
SECRET_FIELDS = {"password", "key_hash"}


@dataclass(frozen=True)
class AuditContext:
    actor: object | None  # a User, or None for the system
    source: str  # "web", "admin", "import", "upload", "api", "command", "system"
    ip: str | None = None  # the client's address, for requests


SYSTEM = AuditContext(actor=None, source="system")
_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "audit_context", default=None
)


@contextmanager
def acting(actor, source: str, ip: str | None = None) -> Iterator[None]:
    """Attribute every change made inside the block to ``actor`` (from the request's
    address ``ip``; by default the enclosing block's)."""
    ip = ip or current().ip
    token = _context.set(AuditContext(actor=actor, source=source, ip=ip))
    try:
        yield
    finally:
        _context.reset(token)


def current() -> AuditContext:
    return _context.get() or SYSTEM


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    return value


def _display(instance: models.Model, field: models.Field):
    """The value a person reads: choice labels, related objects by name."""
    if field.is_relation:
        related_id = getattr(instance, field.attname)
        if related_id is None:
            return None
        related = getattr(instance, field.name, None)
        return str(related) if related is not None else related_id
    value = getattr(instance, field.attname)
    if isinstance(value, bool):
        return "是" if value else "否"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return _plain(value)


def _snapshot(instance: models.Model) -> dict:
    snap = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name in IGNORED_FIELDS:
            continue
        snap[field.name] = (field.verbose_name, getattr(instance, field.attname), field)
    return snap


def _org_path(instance: models.Model) -> str:
    from ..models import CrossReviewGroup, CrossReviewGroupMember, Membership, Organization

    if isinstance(instance, Organization):
        return instance.path or (instance.parent.path if instance.parent else "")
    if isinstance(instance, Membership):
        return instance.organization.path
    if isinstance(instance, CrossReviewGroup):
        return instance.owner.path
    if isinstance(instance, CrossReviewGroupMember):
        return instance.group.owner.path
    if hasattr(instance, "audit_org_path"):
        return instance.audit_org_path()
    return ""  # global: rubrics, accounts


def _write(instance: models.Model, action: str, changes: dict) -> None:
    _entry(instance, action, changes).save()


def _entry(instance: models.Model, action: str, changes: dict):
    """The unsaved audit entry for ``instance`` in the current context."""
    from ..models import AuditEntry, User

    ctx = current()
    # A user with an account (the anonymous user has no primary key): None for the system.
    actor = ctx.actor if isinstance(ctx.actor, User) and ctx.actor.pk else None
    return AuditEntry(
        actor=actor,
        actor_repr=str(actor) if actor else "系统",
        source=ctx.source,
        action=action,
        model=str(instance._meta.verbose_name),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
        org_path=_org_path(instance),
        ip=ctx.ip,
    )


def _pre_save(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = old


def _post_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    changes = _changes(instance, before, created)
    if created or before is None:
        _write(instance, "create", changes)
    elif changes:
        _write(instance, "update", changes)


def _changes(instance: models.Model, before: models.Model | None, created: bool) -> dict:
    """Field label, old and new value of every audited field that differs from ``before``."""
    changes: dict[str, dict] = {}
    for name, (label, value, field) in _snapshot(instance).items():
        if created or before is None:
            if name in SECRET_FIELDS:
                continue
            if value in (None, "", False) and not field.is_relation:
                continue
            changes[name] = {"label": str(label), "old": None, "new": _display(instance, field)}
            continue
        old_value = getattr(before, field.attname)
        if old_value == value:
            continue
        if name in SECRET_FIELDS:
            changes[name] = {"label": str(label), "old": "******", "new": "******（已修改）"}
        else:
            changes[name] = {
                "label": str(label),
                "old": _display(before, field),
                "new": _display(instance, field),
            }
    return changes


def _post_delete(sender, instance, **kwargs) -> None:
    changes = {
        name: {"label": str(label), "old": _display(instance, field), "new": None}
        for name, (label, value, field) in _snapshot(instance).items()
        if name not in SECRET_FIELDS and value not in (None, "")
    }
    _write(instance, "delete", changes)


def audited_models() -> list[type[models.Model]]:
    from ..models import (
        ApiToken,
        CrossReviewGroup,
        CrossReviewGroupMember,
        DirectoryRoleProposal,
        Member,
        Membership,
        Organization,
        PasswordResetRequest,
        User,
    )

    return [
        DirectoryRoleProposal,
        Organization,
        Membership,
        User,
        CrossReviewGroup,
        CrossReviewGroupMember,
        Member,
        PasswordResetRequest,
        ApiToken,
    ]


def connect_signals(models_: list[type[models.Model]] | None = None) -> None:
    """Record every change of these models (the branches models by default)."""
    for model in models_ or audited_models():
        uid = f"audit-{model._meta.label}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_post_save, sender=model, dispatch_uid=f"{uid}-post")
        post_delete.connect(_post_delete, sender=model, dispatch_uid=f"{uid}-del")


def record_bulk(saved: Sequence[tuple[models.Model, models.Model | None]]) -> None:
    """Audit rows written with bulk_create / bulk_update (which send no signals).

    ``saved`` holds (instance as stored, instance before the change or None if created);
    one INSERT writes every entry, with the same content the signals would have written.
    """
    from ..models import AuditEntry

    entries = []
    for instance, before in saved:
        changes = _changes(instance, before, before is None)
        if before is None:
            entries.append(_entry(instance, "create", changes))
        elif changes:
            entries.append(_entry(instance, "update", changes))
    AuditEntry.objects.bulk_create(entries, batch_size=2000)


def record(instance: models.Model, action: str, changes: dict | None = None) -> None:
    """Write an entry for an event that is not a row change (import, a sheet's entries)."""
    _write(instance, action, changes or {})


def record_export(*, by, what: str, summary: str) -> None:
    """Write an entry for an export of the audit trail itself (who read it, with which
    filters, as the auditor reads them)."""
    from ..models import AuditEntry

    ctx = current()
    AuditEntry.objects.create(
        actor=by,
        actor_repr=str(by),
        source=ctx.source,
        action="export",
        model=str(AuditEntry._meta.verbose_name),
        object_id="",
        object_repr=what[:200],
        changes={"filters": {"label": "筛选条件", "old": None, "new": summary}},
        org_path="",
        ip=ctx.ip,
    )


# -- logins -------------------------------------------------------------------------------


def client_ip(request) -> str | None:
    """The client's address as the server sees it (REMOTE_ADDR; a proxy in front must
    pass the real address, e.g. with uWSGI/gunicorn's forwarded-allow settings)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _auth_entry(request, *, action: str, user, username: str, changes: dict) -> None:
    from ..models import AuditEntry, User

    actor = user if getattr(user, "pk", None) else None
    AuditEntry.objects.create(
        actor=actor,
        actor_repr=str(actor) if actor else (username[:120] or "（未填工号）"),
        source="admin" if request is not None and request.path.startswith("/admin/") else "web",
        action=action,
        model=str(User._meta.verbose_name),
        object_id=str(actor.pk) if actor else "",
        object_repr=(str(actor) if actor else username)[:200],
        changes=changes,
        org_path="",
        ip=client_ip(request),
    )


def _logged_in(sender, request, user, **kwargs) -> None:
    _auth_entry(request, action="login", user=user, username=user.get_username(), changes={})


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and user.is_authenticated:
        _auth_entry(request, action="logout", user=user, username=user.get_username(), changes={})


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    from ..models import User

    username = str(credentials.get("username") or "")[:150]
    known = User.objects.filter(username=username).first() if username else None
    # The directory vouched for the person (LDAP, OpenID Connect, CAS) but no active
    # account has their 工号 (branches.directory.backends.refuse).
    refusal = getattr(request, "directory_refusal", None)
    if refusal:
        username = username or refusal[0] or "（目录未提供工号）"
        reason = f"目录登录：{refusal[1]}"
    elif getattr(request, "axes_locked_out", False):
        reason = "账号已被暂时锁定（连续登录失败次数过多）"
    elif known is None:
        reason = "工号不存在"
    elif not known.is_active:
        reason = "账号已停用"
    else:
        reason = "密码错误"
    _auth_entry(
        request,
        action="login_failed",
        user=None,
        username=username,
        changes={"reason": {"label": "原因", "old": None, "new": reason}},
    )


def connect_auth_signals() -> None:
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_logged_in, dispatch_uid="audit-login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")
