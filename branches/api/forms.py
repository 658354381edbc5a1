"""The token page's form (input checks with Chinese messages)."""

from django import forms

from ..forms import ChineseForm, field_of, label_choices
from ..models import Organization, TokenScope, User
from .selectors import token_organizations


class TokenForm(ChineseForm, forms.Form):
    name = forms.CharField(
        label="用途", max_length=100, help_text="例如：人力资源系统同步组织架构和党员名册"
    )
    organization = forms.ModelChoiceField(
        label="范围（该组织及其下级）",
        queryset=Organization.objects.none(),
        help_text="令牌只能读取范围内组织的数据；上级党委组织的考评活动，"
        "须选择该党委（或更上级）才能读取其结果。",
    )
    scope = forms.ChoiceField(label="权限", choices=[("", ""), *TokenScope.choices])

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        organization = field_of(self, "organization", forms.ModelChoiceField)
        organization.queryset = token_organizations(user).order_by("path")
        label_choices(organization, lambda o: f"{'　' * o.depth}{o.code} {o.name}")
