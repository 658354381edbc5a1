from collections.abc import Callable, Iterable
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordChangeForm,
)

from .access import Perm, grantable_roles, visible_orgs
from .directory.selectors import refusal as directory_refusal
from .models import AuditAction, AuditEntry, CrossReviewGroup, Organization, OrgKind, User
from .toolkit.params import BoundedModelMultipleChoiceField

EMPTY_LABEL = "— 请选择 —"


def field_of[F: forms.Field](form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """``form.fields[name]`` as the ``kind`` of field it is (``fields`` holds plain Fields
    for the type checker): the form's querysets, labels and choices set with their types."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def label_choices(field: forms.ModelChoiceField, label: Callable[[Any], str]) -> None:
    """Show each choice of ``field`` as ``label(obj)``."""
    # Django's hook is a method meant to be overridden in a subclass; replaced on this one
    # field instead, which does the same without a class for each label.
    field.label_from_instance = label  # type: ignore[method-assign, assignment]


class ChineseForm:
    """Chinese placeholders on every select (Django's default label is English)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = EMPTY_LABEL if field.empty_label is not None else None
            elif isinstance(field, forms.ChoiceField):
                choices = list(field.choices)
                if choices and choices[0][0] == "":
                    field.choices = [("", EMPTY_LABEL), *choices[1:]]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="工号", max_length=150, widget=forms.TextInput(attrs={"autofocus": True})
    )
    error_messages = {
        "invalid_login": "工号或密码不正确。连续多次输错后账号将被暂时锁定。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        # The directory accepted the password but names no account here (or a disabled one).
        if refusal := directory_refusal(self.request):
            return forms.ValidationError(f"域账号验证通过，但{refusal[1]}。", code="directory")
        return super().get_invalid_login_error()


class OwnPasswordChangeForm(PasswordChangeForm):
    """The owner changes their password: an administrator's password is then replaced."""

    def save(self, commit: bool = True):
        self.user.must_change_password = False
        return super().save(commit=commit)


class AdminSetPasswordForm(AdminPasswordChangeForm):
    """A superuser sets a password in the admin: the owner must change it at next login."""

    def save(self, commit: bool = True):
        self.user.must_change_password = True
        return super().save(commit=commit)


class AdminCreateUserForm(AdminUserCreationForm):
    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.must_change_password = user.has_usable_password()
        if commit:
            user.save()
            self.save_m2m()
        return user


class OrganizationForm(ChineseForm, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["code", "name", "kind", "parent", *Organization.PROFILE_FIELDS]
        widgets = {
            "established_on": DateInput(),
            "term_start": DateInput(),
            "term_end": DateInput(),
            "star_level": forms.NumberInput(attrs={"min": 0, "max": 5}),
            "full_members": forms.NumberInput(attrs={"min": 0}),
            "probationary_members": forms.NumberInput(attrs={"min": 0}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        parents = visible_orgs(user, Perm.MANAGE_ORG).filter(
            kind__in=[OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH]
        )
        if self.instance.pk:
            parents = parents.exclude(path__subtree=self.instance.path)
        parent = field_of(self, "parent", forms.ModelChoiceField)
        parent.queryset = parents.order_by("tree_key")
        label_choices(parent, lambda o: f"{o.code} {o.name}（{o.get_kind_display()}）")
        parent.required = not user.is_superuser
        if self.instance.pk and self.instance.members.active().exists():
            # The roster counts them (branches/roster/services.sync_counts).
            for name in ("full_members", "probationary_members"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "按党员名册自动统计"


class UserCreateForm(forms.Form):
    username = forms.CharField(label="工号", max_length=150)
    name = forms.CharField(label="姓名", max_length=50)
    email = forms.EmailField(label="邮箱", required=False)
    phone = forms.CharField(label="手机", max_length=20, required=False)
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput,
        required=False,
        help_text="留空则账号暂不能登录，稍后再设置密码。至少 8 位，含大写字母、小写字母、数字、"
        "符号中的 3 类，不能包含工号；本人首次登录时须修改。",
    )


class UserEditForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    email = forms.EmailField(label="邮箱", required=False)
    phone = forms.CharField(label="手机", max_length=20, required=False)
    is_active = forms.BooleanField(label="启用", required=False)


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(label="新密码", widget=forms.PasswordInput)
    password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            raise forms.ValidationError("两次输入的密码不一致。")
        return data


class GrantRoleForm(ChineseForm, forms.Form):
    organization = forms.ModelChoiceField(label="组织", queryset=Organization.objects.none())
    role = forms.ChoiceField(label="角色")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        organization = field_of(self, "organization", forms.ModelChoiceField)
        organization.queryset = visible_orgs(user, Perm.GRANT_ROLES).order_by("path")
        label_choices(organization, lambda o: f"{o.code} {o.name}")
        field_of(self, "role", forms.ChoiceField).choices = grantable_roles(user)


class RejectResetForm(ChineseForm, forms.Form):
    reason = forms.CharField(label="驳回理由", max_length=200)


class CrossReviewGroupForm(ChineseForm, forms.ModelForm):
    enterprises = BoundedModelMultipleChoiceField(
        label="成员企业",
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CrossReviewGroup
        fields = ["owner", "name"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        committees = visible_orgs(user, Perm.MANAGE_ORG).filter(kind=OrgKind.COMMITTEE)
        field_of(self, "owner", forms.ModelChoiceField).queryset = committees.order_by("path")
        enterprises = field_of(self, "enterprises", forms.ModelMultipleChoiceField)
        enterprises.queryset = committees.filter(depth__gt=0).order_by("path")
        label_choices(enterprises, lambda o: f"{o.code} {o.name}")
        if self.instance.pk:
            self.fields["enterprises"].initial = list(
                self.instance.members.values_list("enterprise_id", flat=True)
            )


class UploadForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"文件过大（{upload.size / 1024 / 1024:.1f} MB），"
                f"上限为 {settings.IMPORT_MAX_BYTES / 1024 / 1024:.1f} MB。"
            )
        if not upload.name.lower().endswith(".xlsx"):
            from .toolkit.spreadsheets import not_xlsx_message

            raise forms.ValidationError(not_xlsx_message(upload.name))
        return upload


class AuditFilterForm(ChineseForm, forms.Form):
    """The auditor's filter: time range, actor, action, object type, organization, text."""

    start = forms.DateField(label="起始日期", required=False, widget=DateInput())
    end = forms.DateField(label="截止日期", required=False, widget=DateInput())
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    action = forms.ChoiceField(label="操作", required=False)
    model = forms.ChoiceField(label="对象类型", required=False)
    organization = forms.ModelChoiceField(
        label="组织（含下级）", required=False, queryset=Organization.objects.none()
    )
    q = forms.CharField(label="关键词", required=False, max_length=100)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "action", forms.ChoiceField).choices = [
            ("", "全部操作"),
            *AuditAction.choices,
        ]
        models = AuditEntry.objects.order_by().values_list("model", flat=True).distinct()
        field_of(self, "model", forms.ChoiceField).choices = [
            ("", "全部类型"),
            *((m, m) for m in sorted(models)),
        ]
        organization = field_of(self, "organization", forms.ModelChoiceField)
        organization.queryset = visible_orgs(user, Perm.VIEW_AUDIT).order_by("path")
        label_choices(organization, lambda o: f"{o.code} {o.name}")
        organization.empty_label = "全部组织"
        for field in self.fields.values():
            kind = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{kind} {kind}-sm"

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data

    def summary(self) -> str:
        """The applied filters as the auditor reads them: "操作=登录失败；操作人=sj01"."""
        parts = []
        for name, value in self.filters().items():
            field = self.fields[name]
            if isinstance(value, Organization):
                value = f"{value.code} {value.name}"
            elif isinstance(field, forms.ChoiceField):
                # The field's setter has made its choices (value, label) pairs.
                pairs = cast(Iterable[tuple[Any, Any]], field.choices)
                value = dict(pairs).get(value, value)
            parts.append(f"{field.label}={value}")
        return "；".join(parts) or "（无）"

    def filters(self) -> dict:
        """The filters whose values are valid (an invalid one is shown as an error and
        narrows nothing; the reader's scope always applies, in the selector)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class SecretaryAccountsForm(forms.Form):
    """One line per branch without a 支部书记 account: create it?, 工号, 姓名."""

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs = list(orgs)
        for org in self.orgs:
            self.fields[f"create_{org.pk}"] = forms.BooleanField(
                label=f"为{org.name}创建", required=False, initial=True
            )
            self.fields[f"username_{org.pk}"] = forms.CharField(
                label=f"{org.name} 工号",
                max_length=150,
                required=False,
                initial=f"sj-{org.code.lower()}"[:150],
            )
            self.fields[f"name_{org.pk}"] = forms.CharField(
                label=f"{org.name} 姓名", max_length=50, required=False, initial=org.secretary_name
            )

    def lines(self):
        return [
            (org, self[f"create_{org.pk}"], self[f"username_{org.pk}"], self[f"name_{org.pk}"])
            for org in self.orgs
        ]

    def rows(self):
        return [
            (org, self.cleaned_data[f"username_{org.pk}"], self.cleaned_data[f"name_{org.pk}"])
            for org in self.orgs
            if self.cleaned_data.get(f"create_{org.pk}")
        ]
