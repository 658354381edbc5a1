"""The sheet page's panel of scores suggested by the branch's meeting records: one tag,
so the sheet page needs no change beyond including it."""

from django import template

from ..access import can_score
from ..meetings.selectors import sheet_suggestions
from ..selectors import sheet_rules

register = template.Library()


@register.inclusion_tag("assessments/_record_suggestions.html", takes_context=True)
def record_suggestions(context) -> dict:
    sheet = context["sheet"]
    links = sheet.rubric_version.record_requirements
    if not links:
        return {"items": []}
    user = context["request"].user
    return {
        "sheet": sheet,
        "items": sheet_suggestions(sheet, lambda: sheet_rules(sheet), links),
        "may_explain": context.get("editable") and can_score(user, sheet),
        "csrf_token": context.get("csrf_token"),
    }
