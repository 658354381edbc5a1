"""Filters for the PDF report templates."""

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def css_string(value) -> SafeString:
    """A value for a CSS string inside <style> (the PDF running header): HTML entities are
    not decoded there, so the value is escaped for CSS instead of HTML. Every character
    outside plain text (quotes, backslash, angle brackets, ampersand, control characters)
    becomes a CSS hex escape, so a name can neither show "&amp;" nor end the string."""
    out = []
    for char in str(value):
        if char in "\"'\\<>&" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return mark_safe("".join(out))
