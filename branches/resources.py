"""The spreadsheet layout of the organization tree and of people with their roles:
django-import-export resources with Chinese column headers, and the widgets that read and
write each cell with Chinese errors. Exports render through them; the imports
(branches/importers.py) read each cell with the same widgets."""

from datetime import date, datetime

from import_export import fields, resources, widgets

from .models import Category, Membership, Organization, OrgKind, Role, User


class TextWidget(widgets.CharWidget):
    def __init__(self, *, label: str, required: bool = False, max_length: int | None = None):
        super().__init__(allow_blank=True)
        self.label, self.required, self.max_length = label, required, max_length

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if self.required and not text:
            raise ValueError(f"“{self.label}”不能为空")
        if self.max_length and len(text) > self.max_length:
            raise ValueError(f"“{self.label}”不能超过 {self.max_length} 个字")
        return text


class ChoiceLabelWidget(widgets.Widget):
    """Reads and writes a choice by its Chinese label."""

    def __init__(self, choices, *, label: str, default=None):
        super().__init__()
        self.by_label = {str(lbl): value for value, lbl in choices}
        self.by_value = {value: str(lbl) for value, lbl in choices}
        self.label, self.default = label, default

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            if self.default is not None:
                return self.default
            raise ValueError(f"“{self.label}”不能为空")
        if text in self.by_label:
            return self.by_label[text]
        if text in self.by_value:
            return text
        raise ValueError(f"未知的{self.label}“{text}”，应为：{'、'.join(self.by_label)}")

    def render(self, value, obj=None, **kwargs):
        return self.by_value.get(value, value or "")


class YesNoWidget(widgets.Widget):
    TRUE = {"是", "1", "true", "yes", "y", "√", "✓"}
    FALSE = {"否", "0", "false", "no", "n", ""}

    def __init__(self, *, label: str):
        super().__init__()
        self.label = label

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"“{self.label}”应填“是”或“否”，而不是“{value}”")

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


class CountWidget(widgets.Widget):
    def __init__(self, *, label: str, maximum: int | None = None):
        super().__init__()
        self.label, self.maximum = label, maximum

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return 0
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(f"“{self.label}”应为整数，而不是“{value}”") from None
        if not number.is_integer():
            raise ValueError(f"“{self.label}”应为整数，而不是“{value}”")
        if number < 0:
            raise ValueError(f"“{self.label}”不能为负数（{value}）")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"“{self.label}”不能大于 {self.maximum}（{value}）")
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return value


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class ChineseDateWidget(widgets.Widget):
    def __init__(self, *, label: str):
        super().__init__()
        self.label = label

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(f"“{self.label}”日期格式不正确：“{text}”，应如 2024-03-01")

    def render(self, value, obj=None, **kwargs):
        return value


class CodeForeignKeyWidget(widgets.ForeignKeyWidget):
    def __init__(self, model, field, *, label: str, required: bool = False):
        super().__init__(model, field)
        self.label, self.required = label, required

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if not text:
            if self.required:
                raise ValueError(f"“{self.label}”不能为空")
            return None
        try:
            return self.get_queryset(value, row, **kwargs).get(**{self.field: text})
        except self.model.DoesNotExist:
            raise ValueError(f"{self.label}“{text}”不存在（文件中和系统中都没有）") from None


def _field(attribute, column, widget):
    return fields.Field(attribute=attribute, column_name=column, widget=widget)


class ScopedResource(resources.ModelResource):
    """A resource for one person: exports list what they may see."""

    def __init__(self, *, by: User):
        super().__init__()
        self.by = by


class OrganizationResource(ScopedResource):
    code = _field("code", "编码", TextWidget(label="编码", required=True, max_length=32))
    name = _field("name", "名称", TextWidget(label="名称", required=True, max_length=100))
    kind = _field("kind", "类型", ChoiceLabelWidget(OrgKind.choices, label="类型"))
    parent = _field(
        "parent", "上级编码", CodeForeignKeyWidget(Organization, "code", label="上级编码")
    )
    is_joint = _field("is_joint", "联合党支部", YesNoWidget(label="联合党支部"))
    established_on = _field("established_on", "成立日期", ChineseDateWidget(label="成立日期"))
    term_start = _field("term_start", "任期开始", ChineseDateWidget(label="任期开始"))
    term_end = _field("term_end", "任期届满", ChineseDateWidget(label="任期届满"))
    full_members = _field("full_members", "正式党员数", CountWidget(label="正式党员数"))
    probationary_members = _field(
        "probationary_members", "预备党员数", CountWidget(label="预备党员数")
    )
    category = _field(
        "category",
        "类别",
        ChoiceLabelWidget(Category.choices, label="类别", default=Category.ORDINARY),
    )
    weak_and_lax = _field("weak_and_lax", "软弱涣散", YesNoWidget(label="软弱涣散"))
    star_level = _field("star_level", "星级", CountWidget(label="星级", maximum=5))
    secretary_name = _field("secretary_name", "书记", TextWidget(label="书记", max_length=50))
    committee_members = _field(
        "committee_members", "委员", TextWidget(label="委员", max_length=300)
    )

    class Meta:
        model = Organization
        import_id_fields = ("code",)
        fields = ("code", "name", "kind", "parent", *Organization.PROFILE_FIELDS)
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        store_row_values = True
        use_transactions = True

    def get_export_queryset(self, request=None):
        return Organization.objects.select_related("parent").order_by("path")


class MembershipResource(ScopedResource):
    """One row per role grant; the account is created or updated from the same row."""

    username = _field("user", "工号", CodeForeignKeyWidget(User, "username", label="工号"))
    name = fields.Field(attribute="user__name", column_name="姓名", readonly=True)
    email = fields.Field(attribute="user__email", column_name="邮箱", readonly=True)
    phone = fields.Field(attribute="user__phone", column_name="手机", readonly=True)
    organization = _field(
        "organization",
        "组织编码",
        CodeForeignKeyWidget(Organization, "code", label="组织编码"),
    )
    org_name = fields.Field(attribute="organization__name", column_name="组织名称", readonly=True)
    role = _field("role", "角色", ChoiceLabelWidget(Role.choices, label="角色", default=""))

    class Meta:
        model = Membership
        import_id_fields = ("username", "organization", "role")
        fields = ("username", "name", "email", "phone", "organization", "org_name", "role")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        store_row_values = True
        use_transactions = True

    def get_export_queryset(self, request=None):
        return Membership.objects.select_related("user", "organization").order_by(
            "user__username", "organization__tree_key", "role"
        )
