from django import template

from rubrics.scoring import VETO, fmt, to_decimal

register = template.Library()


@register.filter
def num(value):
    """A number as a person writes it: 5, 0.5, 89.9 (never 97.500 or 100.0). The one
    number format of every page that shows a score, a rate or a threshold."""
    if value is None or value == "":
        return ""
    number = to_decimal(value)
    return str(value) if number is None else fmt(number)


@register.filter
def percent(value):
    return "" if value is None else f"{fmt(value * 100)}%"


@register.filter
def has_veto(items):
    return any(i.kind == VETO for i in items)


@register.filter
def instrument_label(stage):
    """The 亮牌 input a composite stage scores, as people read it: its text and weight
    (“星级党支部考核（40%）”), not its code (“star”)."""
    from rubrics.models import Indicator

    indicator = (
        Indicator.objects.filter(version_id=stage.campaign.rubric_version_id, code=stage.instrument)
        .only("text", "weight")
        .first()
    )
    if indicator is None:
        return stage.instrument
    if not indicator.weight:
        return indicator.text
    return f"{indicator.text}（{percent(indicator.weight)}）"
