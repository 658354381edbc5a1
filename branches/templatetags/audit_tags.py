from django import template

from branches.audit_display import format_value, source_label

register = template.Library()


@register.simple_tag
def audit_value(value, field: str = "", model: str = "") -> str:
    """``{% audit_value c.new name e.model %}``: a stored audit value as readable Chinese."""
    return format_value(value, field=field, model=model)


@register.filter
def audit_source(source: str) -> str:
    return source_label(source)
