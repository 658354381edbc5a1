from django import template

from rubrics.scoring import VETO, fmt

register = template.Library()


@register.filter
def num(value):
    """A Decimal as a person writes it: 5, 0.5, 89.9."""
    return "" if value is None else fmt(value)


@register.filter
def percent(value):
    return "" if value is None else f"{fmt(value * 100)}%"


@register.filter
def has_veto(items):
    return any(i.kind == VETO for i in items)
