"""How an audit entry reads to a person: stored values (JSON) shaped into Chinese text.

The trail stores what happened as plain JSON (``True``, ``None``, lists of choice values,
ISO times in UTC, import counts); this module only formats it for display and export and
never changes what is stored."""

import re
from decimal import Decimal, InvalidOperation
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

EMPTY = "（空）"

SOURCE_LABELS = {
    "web": "网页",
    "admin": "管理后台",
    "import": "导入",
    "upload": "离线评分表上传",
    "api": "接口",
    "command": "命令行",
    "system": "系统",
}

# Keys of values that are not model fields: the counts of an import.
KEY_LABELS = {"new": "新增", "update": "更新", "skip": "跳过", "error": "错误", "counts": "结果"}

# JSON list fields whose items are organization kinds (Rubric.assesses, Campaign.kinds).
ORG_KIND_LISTS = {"assesses", "kinds"}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _number(value: Decimal) -> str:
    """89.9, 80, 0.5: never 80.00 or 8E+1."""
    return format(value.normalize(), "f")


def source_label(source: str) -> str:
    """Where a change came from, in Chinese (导入, 网页, …)."""
    return SOURCE_LABELS.get(source, source or "—")


@cache
def _models_by_verbose_name() -> dict[str, type[models.Model]]:
    return {str(m._meta.verbose_name): m for m in apps.get_models()}


def _field(model: str, name: str) -> models.Field | None:
    found = _models_by_verbose_name().get(model)
    if found is None or not name:
        return None
    try:
        field = found._meta.get_field(name)
    except FieldDoesNotExist:  # a computed key, not a field of that model
        return None
    # A reverse relation has neither a verbose name nor choices to show.
    return field if isinstance(field, models.Field) else None


def _choices(field: models.Field | None, name: str) -> dict:
    if field is not None and getattr(field, "choices", None):
        return {str(k): str(v) for k, v in field.flatchoices}
    if name in ORG_KIND_LISTS:
        # The organization kinds, from the model registry (the models import this module).
        kind = apps.get_model("branches", "Organization")._meta.get_field("kind")
        return {str(k): str(v) for k, v in kind.flatchoices}
    return {}


def key_label(key: str, *, model: str = "") -> str:
    """A dict key as a person reads it: a field's verbose name, or a known label."""
    field = _field(model, key)
    if field is not None and getattr(field, "verbose_name", None):
        return str(field.verbose_name)
    return KEY_LABELS.get(key, key)


def format_value(value, *, field: str = "", model: str = "") -> str:
    """One stored audit value as readable Chinese: 是/否, （空）, choice labels, key: value
    pairs, local times (Asia/Shanghai) and numbers without trailing zeros."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        # Known keys in their natural order (PostgreSQL's jsonb does not keep insertion order).
        order = list(KEY_LABELS)
        keys = sorted(value, key=lambda k: order.index(k) if k in order else len(order))
        return "；".join(
            f"{key_label(str(k), model=model)}：{format_value(value[k], field=str(k), model=model)}"
            for k in keys
        )
    if isinstance(value, list | tuple):
        return "、".join(format_value(v, field=field, model=model) for v in value)
    model_field = _field(model, field)
    if isinstance(value, int | float | Decimal):
        return _number(Decimal(str(value)))
    text = str(value)
    label = _choices(model_field, field).get(text)
    if label is not None:
        return label
    if _ISO_DATETIME.match(text):
        moment = parse_datetime(text)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(model_field, models.DecimalField | models.FloatField):
        try:
            return _number(Decimal(text))
        except InvalidOperation:
            pass
    return text
