"""The audit trail: every create, update and delete of organizations, memberships,
users and cross-review groups is recorded with who, when and old → new.

Recording hangs on model signals so that every path (views, services, the admin,
imports, management commands) is covered; the acting user and the source come from
a context variable that the middleware, the import service and commands set.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

# Fields whose change is noise or secret: never diffed (passwords are noted, not shown).
IGNORED_FIELDS = {"path", "depth", "enterprise", "updated_at", "created_at", "last_login"}
SECRET_FIELDS = {"password"}


@dataclass(frozen=True)
class AuditContext:
    actor: object | None  # a User, or None for the system
    source: str  # "web", "admin", "import", "command", "system"


SYSTEM = AuditContext(actor=None, source="system")
_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "audit_context", default=None
)


@contextmanager
def acting(actor, source: str) -> Iterator[None]:
    """Attribute every change made inside the block to ``actor``."""
    token = _context.set(AuditContext(actor=actor, source=source))
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
    from .models import CrossReviewGroup, CrossReviewGroupMember, Membership, Organization

    if isinstance(instance, Organization):
        return instance.path or (instance.parent.path if instance.parent_id else "")
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
    from .models import AuditEntry

    ctx = current()
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    return AuditEntry(
        actor=actor,
        actor_repr=str(actor) if actor else "系统",
        source=ctx.source,
        action=action,
        model=instance._meta.verbose_name,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
        org_path=_org_path(instance),
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
    from .models import CrossReviewGroup, CrossReviewGroupMember, Membership, Organization, User

    return [Organization, Membership, User, CrossReviewGroup, CrossReviewGroupMember]


def connect_signals(models_: list[type[models.Model]] | None = None) -> None:
    """Record every change of these models (the branches models by default)."""
    for model in models_ or audited_models():
        uid = f"audit-{model._meta.label}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_post_save, sender=model, dispatch_uid=f"{uid}-post")
        post_delete.connect(_post_delete, sender=model, dispatch_uid=f"{uid}-del")


def record_bulk(saved: list[tuple[models.Model, models.Model | None]]) -> None:
    """Audit rows written with bulk_create / bulk_update (which send no signals).

    ``saved`` holds (instance as stored, instance before the change or None if created);
    one INSERT writes every entry, with the same content the signals would have written.
    """
    from .models import AuditEntry

    entries = []
    for instance, before in saved:
        changes = _changes(instance, before, before is None)
        if before is None:
            entries.append(_entry(instance, "create", changes))
        elif changes:
            entries.append(_entry(instance, "update", changes))
    AuditEntry.objects.bulk_create(entries, batch_size=2000)


def record(instance: models.Model, action: str, changes: dict | None = None) -> None:
    """Write an entry for an event that is not a row change (login, import)."""
    _write(instance, action, changes or {})
