from datetime import date

from django import forms
from django.utils import timezone

from branches.access import Perm, visible_orgs
from branches.forms import ChineseForm, DateInput
from branches.models import OrgKind, User
from branches.toolkit.params import BoundedModelMultipleChoiceField
from rubrics.models import RubricVersion, VersionStatus

from .models import Stage
from .services import TEMPLATES

ASSESSABLE_KINDS = (OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)


class CampaignForm(ChineseForm, forms.Form):
    name = forms.CharField(label="名称", max_length=120)
    version = forms.ModelChoiceField(label="考评标准", queryset=RubricVersion.objects.none())
    committee_version = forms.ModelChoiceField(
        label="党委评估清单（可选）",
        queryset=RubricVersion.objects.none(),
        required=False,
        help_text="交叉互评时对各企业党委评估中组部“7条具体措施”",
    )
    scope = forms.ModelChoiceField(label="考评范围", queryset=None)
    template = forms.ChoiceField(
        label="阶段方案", choices=[(k, v[0]) for k, v in TEMPLATES.items()]
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="季度",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "（年度考评）"),
            (1, "第一季度"),
            (2, "第二季度"),
            (3, "第三季度"),
            (4, "第四季度"),
        ],
    )
    start = forms.DateField(label="第一阶段开始日期", widget=DateInput())
    threshold = forms.DecimalField(
        label="自评虚高阈值（分）", min_value=0, max_digits=5, decimal_places=2, initial=10
    )
    kinds = forms.MultipleChoiceField(
        label="考评对象类型",
        required=False,
        choices=[(k, OrgKind(k).label) for k in ASSESSABLE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾选则为所选考评标准列出的全部类型（含企业党委）",
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        published = (
            RubricVersion.objects.filter(status=VersionStatus.PUBLISHED)
            .select_related("rubric")
            .order_by("rubric__code", "-number")
        )
        self.fields["version"].queryset = published.exclude(rubric__assesses=["committee"])
        self.fields["committee_version"].queryset = published.filter(rubric__assesses=["committee"])
        for name in ("version", "committee_version"):
            self.fields[name].label_from_instance = lambda v: f"{v.rubric.name}（第 {v.number} 版）"
        self.fields["scope"].queryset = (
            visible_orgs(user, Perm.MANAGE_CAMPAIGNS)
            .filter(kind=OrgKind.COMMITTEE)
            .order_by("path")
        )
        self.fields["scope"].label_from_instance = lambda o: f"{o.code} {o.name}"
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["start"].initial = date(today.year, today.month, 1)


class PickPeopleForm(forms.Form):
    people = BoundedModelMultipleChoiceField(
        label="考评人员", queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = queryset
        self.fields["people"].label_from_instance = lambda u: f"{u.name}（{u.username}）"


class DeadlineForm(forms.Form):
    deadline = forms.DateField(label="新的截止日期", widget=DateInput())


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ReassignForm(ChineseForm, forms.Form):
    assessor = forms.ModelChoiceField(label="改派给", queryset=User.objects.none())

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = queryset
        self.fields["assessor"].label_from_instance = lambda u: f"{u.name}（{u.username}）"


class EvidenceForm(forms.Form):
    code = forms.CharField(label="对应指标", max_length=20, required=False)
    file = forms.FileField(label="佐证材料（PDF、图片、Word/Excel，≤10 MB）")


class OfflineUploadForm(forms.Form):
    file = forms.FileField(label="填好的评分表（.xlsx）")

    def clean_file(self):
        from branches.toolkit.spreadsheets import not_xlsx_message

        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(not_xlsx_message(upload.name))
        return upload


class MeasureForm(forms.Form):
    measure = forms.CharField(
        label="整改措施", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    responsible = forms.CharField(label="责任人", max_length=50)


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label="回头看情况", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    on = forms.DateField(label="回头看日期", widget=DateInput())


class RerateForm(forms.Form):
    to_grade = forms.CharField(label="改评为", max_length=30)
    reason = forms.CharField(
        label="决定理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class OverturnForm(forms.Form):
    organization = forms.CharField(label="组织编码", max_length=32)
    code = forms.CharField(label="否决项编码", max_length=20)
    stage = forms.IntegerField(label="推翻阶段")
    reason = forms.CharField(
        label="理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class StageForm(ChineseForm, forms.ModelForm):
    class Meta:
        model = Stage
        fields = [
            "kind",
            "name",
            "assessor",
            "selection",
            "ratio",
            "count",
            "instrument",
            "avoid_reciprocal",
            "opens_on",
            "deadline",
        ]
        widgets = {"opens_on": DateInput(), "deadline": DateInput()}

    # After opening, a sampled stage's draw options (and deadline) stay editable until its
    # draw runs; everything else is shown but fixed.
    DRAW_OPTIONS = ("selection", "ratio", "count", "avoid_reciprocal", "deadline")

    def __init__(self, *args, draw_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if draw_only:
            for name, field in self.fields.items():
                if name not in self.DRAW_OPTIONS:
                    field.disabled = True
