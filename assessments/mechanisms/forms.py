from decimal import Decimal
from typing import Any

from django import forms

from branches.forms import ChineseForm, DateInput
from branches.models import Member, Organization, OrgKind, User
from branches.toolkit.params import BoundedModelMultipleChoiceField
from branches.toolkit.periods import QUARTER_CHOICES

from ..models import Diagnosis, MonthlyReport, Pairing, Post, PostKind, Visit


class Textarea(forms.Textarea):
    """A textarea that does not show back a value longer than its field allows (a browser
    never sends one; a hostile client gets the error without its text echoed)."""

    def format_value(self, value):
        limit = self.attrs.get("maxlength")
        if value and limit and len(str(value)) > int(limit):
            return ""
        return super().format_value(value)


SCORE: dict[str, Any] = {
    "min_value": Decimal(0),
    "max_value": Decimal(100),
    "decimal_places": 2,
    "max_digits": 5,
}


class PairingForm(ChineseForm, forms.ModelForm):
    organization = forms.ModelChoiceField(
        label="乙方（被帮扶党支部）", queryset=Organization.objects.none()
    )
    helper = forms.ModelChoiceField(label="甲方系统账号", queryset=User.objects.none())
    targets = forms.CharField(
        label="量化目标",
        max_length=2000,
        help_text="如台账齐全率、群众服务响应时限等，每行一项",
        widget=Textarea(attrs={"rows": 3}),
    )
    duties_a = forms.CharField(
        label="甲方权责", max_length=2000, required=False, widget=Textarea(attrs={"rows": 4})
    )
    duties_b = forms.CharField(
        label="乙方权责", max_length=2000, required=False, widget=Textarea(attrs={"rows": 4})
    )

    class Meta:
        model = Pairing
        fields = [
            "organization",
            "helper_name",
            "helper_post",
            "helper",
            "start",
            "end",
            "targets",
            "method_goal",
            "awareness_goal",
            "satisfaction_goal",
            "visits_per_month",
            "duties_a",
            "duties_b",
        ]
        widgets = {
            "start": DateInput(),
            "end": DateInput(),
        }

    def __init__(self, *args, branches, helpers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = branches
        self.fields["organization"].label_from_instance = lambda o: o.name
        self.fields["helper"].queryset = helpers
        self.fields["helper"].label_from_instance = lambda u: f"{u.username} {u.name}"
        for name in ("duties_a", "duties_b"):
            self.fields[name].initial = Pairing._meta.get_field(name).default
            self.fields[name].help_text = "留空则按责任书范本"
        self.fields["awareness_goal"].max_value = 100
        self.fields["satisfaction_goal"].max_value = 100

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "责任期结束日期应晚于开始日期。")
        for name in ("duties_a", "duties_b"):
            if not (data.get(name) or "").strip():
                data[name] = Pairing._meta.get_field(name).default
        return data


class TextForm(forms.Form):
    text = forms.CharField(label="内容", max_length=2000, widget=Textarea(attrs={"rows": 2}))


class DiagnosisForm(forms.ModelForm):
    findings = forms.CharField(
        label="诊断情况", max_length=2000, widget=Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Diagnosis
        fields = ["methods", "findings", "core_weakness_1", "core_weakness_2", "written_on"]
        widgets = {"written_on": DateInput(), "findings": Textarea(attrs={"rows": 3})}


class PlanItemForm(forms.Form):
    problem = forms.CharField(label="具体动作", max_length=500)
    responsible = forms.CharField(label="责任人", max_length=50)
    deadline = forms.DateField(label="时限", widget=DateInput())


class VisitForm(forms.ModelForm):
    content = forms.CharField(label="帮扶内容", max_length=2000, widget=Textarea(attrs={"rows": 2}))
    progress = forms.CharField(
        label="整改进展与存在问题",
        max_length=2000,
        required=False,
        widget=Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Visit
        fields = ["on", "form", "content", "progress"]
        widgets = {
            "on": DateInput(),
            "content": Textarea(attrs={"rows": 2}),
            "progress": Textarea(attrs={"rows": 2}),
        }


class MonthlyReportForm(forms.ModelForm):
    progress = forms.CharField(
        label="本月进展", max_length=2000, widget=Textarea(attrs={"rows": 2})
    )
    problems = forms.CharField(
        label="存在问题", max_length=2000, required=False, widget=Textarea(attrs={"rows": 2})
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="月份", min_value=1, max_value=12)

    class Meta:
        model = MonthlyReport
        fields = ["year", "month", "progress", "problems"]
        widgets = {
            "progress": Textarea(attrs={"rows": 2}),
            "problems": Textarea(attrs={"rows": 2}),
        }


class EvaluationForm(ChineseForm, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label="季度", choices=QUARTER_CHOICES, coerce=int)
    score = forms.DecimalField(label="帮扶成效得分（0—100）", **SCORE)
    note = forms.CharField(
        label="评估意见", max_length=2000, required=False, widget=Textarea(attrs={"rows": 2})
    )


class InterviewForm(forms.Form):
    held_on = forms.DateField(label="约谈日期", widget=DateInput())
    record = forms.CharField(label="约谈记录", max_length=2000, widget=Textarea(attrs={"rows": 2}))


class AcceptanceForm(ChineseForm, forms.Form):
    met = forms.TypedChoiceField(
        label="核心目标",
        choices=[("1", "全部实现（帮扶合格）"), ("0", "未全部实现")],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label="验收意见", max_length=2000, widget=Textarea(attrs={"rows": 2}))


class VerifyForm(ChineseForm, forms.Form):
    accepted = forms.TypedChoiceField(
        label="核验结果", choices=[("1", "销号"), ("0", "退回整改")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label="核验意见", max_length=2000, required=False)


class InspectionForm(ChineseForm, forms.Form):
    organization = forms.ModelChoiceField(
        label="被检查党支部", queryset=Organization.objects.none()
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label="季度", choices=QUARTER_CHOICES, coerce=int)
    scheduled_on = forms.DateField(label="检查日期（与星级考核同步）", widget=DateInput())
    inspectors = BoundedModelMultipleChoiceField(
        label="互查人员（1—2 名其他支部的支部委员或党员骨干）",
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, branches, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = branches.filter(kind=OrgKind.BRANCH)
        self.fields["organization"].label_from_instance = lambda o: o.name
        self.fields["inspectors"].queryset = members
        self.fields["inspectors"].label_from_instance = lambda m: (
            f"{m.name}（{m.organization.name}，{m.user.username}）"
        )

    def clean(self):
        data = super().clean()
        org, chosen = data.get("organization"), data.get("inspectors")
        if chosen is not None and not 1 <= len(chosen) <= 2:
            self.add_error("inspectors", "互查人员应为 1 至 2 人。")
        if org and chosen and any(m.organization_id == org.pk for m in chosen):
            self.add_error("inspectors", "互查人员不能来自被检查的党支部本身。")
        return data


class PostForm(ChineseForm, forms.Form):
    kind = forms.ChoiceField(label="岗位类别", choices=PostKind.choices)
    title = forms.CharField(label="岗位名称", max_length=100)
    duty = forms.CharField(label="标准化责任", max_length=2000, widget=Textarea(attrs={"rows": 2}))


class ClaimForm(ChineseForm, forms.Form):
    member = forms.ModelChoiceField(label="党员", queryset=Member.objects.none())
    post: forms.ModelChoiceField[Post] = forms.ModelChoiceField(label="认领岗位", queryset=None)

    def __init__(self, *args, members, posts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: m.name
        self.fields["post"].queryset = posts


class ReviewClaimForm(ChineseForm, forms.Form):
    approved = forms.TypedChoiceField(
        label="审核", choices=[("1", "通过"), ("0", "不通过")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label="审核意见", max_length=200, required=False)


class CheckForm(ChineseForm, forms.Form):
    on = forms.DateField(label="核查日期", widget=DateInput())
    met = forms.TypedChoiceField(
        label="履职情况", choices=[("1", "到位"), ("0", "不到位")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label="核查情况", max_length=200, required=False)


class DutyScoreForm(ChineseForm, forms.Form):
    member = forms.ModelChoiceField(label="党员", queryset=Member.objects.none())
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="月份", min_value=1, max_value=12)
    score = forms.DecimalField(label="履职得分（0—100）", **SCORE)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: m.name


class InspectionScoreForm(forms.Form):
    """The on-site 互查评分表: the four steps, a score and a problem point per item of the
    checklist version, then 优点 / 问题 / 整改建议 / 亮点做法 and the deadline."""

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models.mechanisms import STEPS

        for name, label in STEPS:
            self.fields[name] = forms.CharField(
                label=label, max_length=2000, widget=Textarea(attrs={"rows": 2})
            )
        self.items = items
        for item in items:
            self.fields[f"s_{item.code}"] = forms.DecimalField(
                label=f"{item.code} {item.text}（{item.points.normalize():f} 分）",
                min_value=Decimal(0),
                max_value=item.points,
                max_digits=6,
                decimal_places=2,
            )
            self.fields[f"p_{item.code}"] = forms.CharField(
                label=f"{item.code} 问题点", max_length=500, required=False
            )
        for name, label in (
            ("strengths", "优点"),
            ("problems", "问题"),
            ("suggestions", "整改建议"),
            ("highlights", "亮点做法（供经验手册）"),
        ):
            self.fields[name] = forms.CharField(
                label=label,
                max_length=2000,
                required=name in ("strengths", "problems", "suggestions"),
                widget=Textarea(attrs={"rows": 2}),
            )
        self.fields["deadline"] = forms.DateField(label="整改时限", widget=DateInput())

    def parts(self) -> dict:
        from ..models.mechanisms import STEPS

        d = self.cleaned_data
        return {
            "steps": {name: d[name] for name, _ in STEPS},
            "scores": {i.code: d[f"s_{i.code}"] for i in self.items},
            "marks": {i.code: d[f"p_{i.code}"] for i in self.items if d[f"p_{i.code}"]},
            "feedback": {n: d[n] for n in ("strengths", "problems", "suggestions", "highlights")},
            "deadline": d["deadline"],
        }


class ExtensionForm(ChineseForm, forms.Form):
    reason = forms.CharField(
        label="未整改到位的情况",
        max_length=200,
        error_messages={"required": "请写明未整改到位的情况。"},
    )
