from django import forms, template

register = template.Library()


@register.filter
def bs(field):
    """Render a bound field's widget with Bootstrap classes (and is-invalid on error)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple) and not isinstance(
        widget, forms.CheckboxSelectMultiple
    ):
        css = "form-select"
    elif isinstance(widget, forms.CheckboxSelectMultiple):
        css = ""
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css} if css else {})


@register.filter
def is_checkbox(field):
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multicheck(field):
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple)


@register.simple_tag(takes_context=True)
def query(context, **kwargs):
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


@register.filter
def absval(value):
    return abs(value) if value is not None else value


@register.simple_tag
def org_badges(org):
    """The badges beside an organization (正式党员不足, 联合党支部, 软弱涣散, 先进/后进, 换届,
    星级): one tag in Python, since a long list prints it on every row."""
    from django.utils.html import format_html, format_html_join
    from django.utils.safestring import mark_safe

    from branches.models import MIN_BRANCH_FULL_MEMBERS

    parts = []
    if org.below_minimum:
        parts.append(
            format_html(
                '<span class="badge text-bg-warning" title="党支部应有 {0} 名以上正式党员">'
                "正式党员不足 {0} 人</span>",
                MIN_BRANCH_FULL_MEMBERS,
            )
        )
    if org.is_joint:
        parts.append(mark_safe('<span class="badge text-bg-info">联合党支部</span>'))
    if org.weak_and_lax:
        parts.append(mark_safe('<span class="badge text-bg-danger">软弱涣散</span>'))
    if org.category == "advanced":
        parts.append(mark_safe('<span class="badge text-bg-success">先进</span>'))
    elif org.category == "lagging":
        title = format_html(' title="依据：{}"', org.category_source) if org.category_source else ""
        parts.append(format_html('<span class="badge text-bg-secondary"{}>后进</span>', title))
    if org.term_overdue:
        parts.append(mark_safe('<span class="badge text-bg-danger">任期已届满</span>'))
    elif org.term_due:
        parts.append(mark_safe('<span class="badge text-bg-warning">即将换届</span>'))
    if org.star_level:
        parts.append(
            format_html(
                '<span class="text-warning" title="{} 星">{}</span>',
                org.star_level,
                "★" * min(int(org.star_level), 5),
            )
        )
    return format_html_join("\n", "{}", ((p,) for p in parts))
