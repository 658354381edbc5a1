from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from branches.forms import ChineseForm, UploadForm, field_of
from branches.models import OrgKind

from . import services
from .models import IndicatorKind, Method
from .scoring import fmt
from .services import BandSpec, ItemSpec
from .sheets import parse_parts

DEFAULT_LEVELS = "达标=1\n基本达标=0.5\n未达标=0"
DECIMAL: dict[str, Any] = {"max_digits": 6, "decimal_places": 2}


class PublishForm(forms.Form):
    confirm = forms.BooleanField(
        label="我已核对：模板指标已按本单位实际修改，系统默认的等次分数线已确认", required=False
    )


class SlotTextsForm(forms.Form):
    def __init__(self, *args, slots, texts: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        for slot in slots:
            self.fields[f"slot_{slot.pk}"] = forms.CharField(
                label=f"{slot.code}（{slot.points.normalize()} 分）",
                required=False,
                max_length=1000,
                initial=texts.get(slot.pk, ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )


def parse_levels(text: str) -> dict:
    """Checklist levels typed one a line as ``名称=比例`` (达标=1), best first."""
    levels: dict[str, str] = {}
    for line in [ln.strip() for ln in text.splitlines() if ln.strip()]:
        label, sep, value = line.replace("＝", "=").partition("=")
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
        if not sep or not label.strip() or number is None or not number.is_finite():
            raise forms.ValidationError(f"“{line[:30]}”应写成 名称=比例，如 基本达标=0.5")
        if label.strip() in levels:
            raise forms.ValidationError(f"档次“{label.strip()}”重复。")
        levels[label.strip()] = fmt(number)
    if problems := services.level_problems(levels):
        raise forms.ValidationError(problems)
    return levels


def levels_text(level_points: dict) -> str:
    return "\n".join(f"{label}={value}" for label, value in level_points.items())


class RubricForm(ChineseForm, forms.Form):
    """A new rubric of the organization's own (its first version starts as an empty draft)."""

    name = forms.CharField(label="名称", max_length=120)
    code = forms.SlugField(
        label="编码",
        max_length=40,
        help_text="字母、数字和连字符，如 huaxi-2026；用于网址，创建后不能修改",
    )
    issuer = forms.CharField(label="制定单位", max_length=120)
    source_document = forms.CharField(label="依据文件", max_length=200)
    assesses = forms.MultipleChoiceField(
        label="考评对象",
        choices=[(k, label) for k, label in OrgKind.choices if k != OrgKind.GROUP],
        widget=forms.CheckboxSelectMultiple,
    )
    period = forms.CharField(label="考评周期", max_length=20, required=False, initial="年度")
    description = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    method = forms.ChoiceField(
        label="计分方式",
        choices=Method.choices,
        help_text="计分制：各项打分、按分数定等次；逐项评定：各项评为达标 / 基本达标 / 未达标，"
        "统计达标率；加权综合：若干分项各按 0–100 打分，按权重合成",
    )
    levels = forms.CharField(
        label="逐项评定的档次（仅逐项评定）",
        required=False,
        initial=DEFAULT_LEVELS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="一行一档，写成 名称=占该项分值的比例，从高到低",
    )
    key_items_cap_top = forms.BooleanField(
        label="▲项未达标不得评为最高档（仅计分制）", required=False, initial=True
    )

    def clean(self):
        data = super().clean()
        if data.get("method") == Method.CHECKLIST:
            try:
                data["level_points"] = parse_levels(data.get("levels", ""))
            except forms.ValidationError as exc:
                self.add_error("levels", exc)
        else:
            data["level_points"] = {}
        return data


class SectionForm(forms.Form):
    code = forms.CharField(label="部分编码", max_length=20, help_text="如 一、1 或 A")
    title = forms.CharField(label="部分名称", max_length=200)
    points = forms.DecimalField(
        label="部分分值",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(1000),
        help_text="留空则不核对；填写后发布前核对所含指标的分值合计",
        **DECIMAL,
    )
    slogan = forms.CharField(label="提升效果", max_length=200, required=False)


class ItemForm(ChineseForm, forms.Form):
    """One item: its section, text, points and step, ▲ or veto, and its parts."""

    section = forms.ChoiceField(label="所属部分")
    code = forms.CharField(label="指标编码", max_length=20, help_text="如 1.1；同一版本内不重复")
    text = forms.CharField(label="指标内容", widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label="类型")
    points = forms.DecimalField(
        label="分值", required=False, min_value=Decimal(0), help_text="否决指标不计分", **DECIMAL
    )
    step = forms.DecimalField(
        label="评分步长", initial=Decimal("0.5"), max_digits=4, decimal_places=2
    )
    key = forms.BooleanField(label="▲重点项（未达到满分则不能评为最高档）", required=False)
    weight = forms.DecimalField(
        label="权重（仅加权综合，如 0.4）",
        required=False,
        max_digits=4,
        decimal_places=3,
    )
    parts = forms.CharField(
        label="分项（可选）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="一行一个：编码｜内容｜分值｜步长（步长可省略），如 4.1.a｜党员大会每季度1次｜4",
    )
    guidance = forms.CharField(
        label="执行标准 / 佐证要求", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, sections, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method
        field_of(self, "section", forms.ChoiceField).choices = [("", "— 请选择 —")] + [
            (str(s.pk), f"{s.code} {s.title}") for s in sections
        ]
        kinds = services.KINDS_BY_METHOD[method]
        field_of(self, "kind", forms.ChoiceField).choices = [
            (k, IndicatorKind(k).label) for k in kinds
        ]
        self.fields["kind"].initial = kinds[0]
        if method != Method.POINTS:
            del self.fields["key"]
        if method != Method.COMPOSITE:
            del self.fields["weight"]

    def clean(self):
        data = super().clean()
        errors: list[str] = []
        parts = parse_parts(data.get("parts") or "", errors)
        if errors:
            self.add_error("parts", errors)
        if self.errors:
            return data
        points = data.get("points")
        if points is None:
            points = Decimal(0) if data["kind"] == IndicatorKind.VETO else None
        if points is None:
            self.add_error("points", "请填写分值。")
            return data
        data["spec"] = ItemSpec(
            code=data["code"].strip(),
            text=data["text"].strip(),
            points=points,
            step=data["step"],
            kind=data["kind"],
            key=data.get("key", False),
            weight=data.get("weight"),
            guidance=data.get("guidance", ""),
            parts=tuple(parts),
        )
        if problems := services.item_problems(data["spec"], method=self.method):
            raise forms.ValidationError(problems)
        return data


class BandForm(forms.Form):
    label = forms.CharField(label="等次", max_length=30, required=False)
    minimum = forms.DecimalField(label="下限（含）", required=False, **DECIMAL)
    passed = forms.BooleanField(label="视为达标", required=False)


class ConsequenceForm(forms.Form):
    code = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    grade = forms.CharField(label="等次", max_length=30, required=False)
    previous = forms.CharField(label="上期等次（连续时填）", max_length=30, required=False)
    text = forms.CharField(label="处理措施", max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if (data.get("grade") or data.get("previous")) and not data.get("text"):
            self.add_error("text", "请填写处理措施。")
        if data.get("text") and not data.get("grade"):
            self.add_error("grade", "请填写适用的等次。")
        return data


BandFormSet = forms.formset_factory(BandForm, extra=4, max_num=10, absolute_max=10)
ConsequenceFormSet = forms.formset_factory(ConsequenceForm, extra=3, max_num=20, absolute_max=20)


class GradeRulesForm(forms.Form):
    """A draft's grade rules; its bands and consequence rules are the two formsets."""

    key_items_cap_top = forms.BooleanField(label="▲项未达标不得评为最高档", required=False)
    levels = forms.CharField(
        label="逐项评定的档次",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="一行一档，写成 名称=占该项分值的比例，从高到低",
    )
    basis = forms.CharField(
        label="结果运用的文件依据", max_length=300, required=False, help_text="如 某党委〔2026〕1号"
    )

    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method
        if method != Method.POINTS:
            del self.fields["key_items_cap_top"]
        if method != Method.CHECKLIST:
            del self.fields["levels"]

    def clean_levels(self):
        return parse_levels(self.cleaned_data.get("levels", ""))


def band_specs(formset) -> list[BandSpec]:
    """The bands typed in the formset (blank rows left out), top first."""
    return [
        BandSpec(
            f.cleaned_data["label"].strip(),
            f.cleaned_data.get("minimum"),
            f.cleaned_data.get("passed", False),
        )
        for f in formset.forms
        if f.cleaned_data.get("label") or f.cleaned_data.get("minimum") is not None
    ]


def consequence_rows(formset) -> list[dict]:
    return [
        {k: (f.cleaned_data.get(k) or "").strip() for k in ("code", "grade", "previous", "text")}
        for f in formset.forms
        if f.cleaned_data.get("text")
    ]


__all__ = [
    "BandFormSet",
    "ConsequenceFormSet",
    "GradeRulesForm",
    "ItemForm",
    "PublishForm",
    "RubricForm",
    "SectionForm",
    "SlotTextsForm",
    "UploadForm",
    "band_specs",
    "consequence_rows",
    "levels_text",
]
