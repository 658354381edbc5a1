from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils import timezone

from branches.access import Perm, visible_orgs
from branches.forms import ChineseForm, DateInput, field_of, label_choices
from branches.models import Category, Organization, OrgKind, User
from branches.toolkit.params import MAX_ID, BoundedModelMultipleChoiceField, int_param
from branches.toolkit.periods import QUARTER_CHOICES
from rubrics import scoring
from rubrics.models import RubricVersion, VersionStatus

from .models import DEFAULT_DISCREPANCY_THRESHOLD, Stage
from .services import EVIDENCE_MAX_BYTES, HAND_SOURCES, TEMPLATES, targets
from .services.results import MEASURE_MAX, RESPONSIBLE_MAX

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
    scope: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label="考评范围", queryset=None
    )
    template = forms.ChoiceField(
        label="阶段方案", choices=[(k, v[0]) for k, v in TEMPLATES.items()]
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="季度",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "（年度考评）"), *QUARTER_CHOICES],
    )
    start = forms.DateField(label="第一阶段开始日期", widget=DateInput())
    threshold = forms.DecimalField(
        label="自评虚高阈值（分）",
        min_value=0,
        max_digits=5,
        decimal_places=2,
        initial=DEFAULT_DISCREPANCY_THRESHOLD,
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
        for name, versions in (
            ("version", published.exclude(rubric__assesses=["committee"])),
            ("committee_version", published.filter(rubric__assesses=["committee"])),
        ):
            field = field_of(self, name, forms.ModelChoiceField)
            field.queryset = versions
            label_choices(field, lambda v: f"{v.rubric.name}（第 {v.number} 版）")
        scope = field_of(self, "scope", forms.ModelChoiceField)
        scope.queryset = (
            visible_orgs(user, Perm.MANAGE_CAMPAIGNS)
            .filter(kind=OrgKind.COMMITTEE)
            .order_by("path")
        )
        label_choices(scope, lambda o: f"{o.code} {o.name}")
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


class _TextForm(forms.Form):
    """One free-text field whose emptiness the service judges (in Chinese, as it says
    why: a return needs a reason, a 销号 note is optional). Cut as the service cuts it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_valid():  # optional text: only a malformed post fails
            raise BadRequest("提交的内容有误，请刷新页面后重试。")

    @property
    def text(self) -> str:
        return next(iter(self.cleaned_data.values()))


class WhyForm(_TextForm):
    """Why a sheet or an item is returned, or a sheet reopened."""

    reason = forms.CharField(required=False, strip=False)


class NoteForm(_TextForm):
    """What a 销号 found (optional)."""

    note = forms.CharField(required=False, strip=False)


class ConsequenceActionForm(_TextForm):
    """How a consequence was carried out."""

    action = forms.CharField(required=False, strip=False)


class SelfFillerForm(ChineseForm, forms.Form):
    """Who fills the self-assessment of an object without one. Choices are the ids as
    text, compared as text: no query runs on a submitted value."""

    organization = forms.ChoiceField(label="组织")
    filler = forms.ChoiceField(label="填表人")

    def __init__(self, *args, organizations, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        self.people = {str(u.pk): u for u in people}
        self.fields["organization"].choices = [("", "请选择")] + [
            (pk, o.qualified_name) for pk, o in self.organizations.items()
        ]
        self.fields["filler"].choices = [("", "请选择")] + [
            (pk, f"{u.name}（{u.username}）") for pk, u in self.people.items()
        ]

    def chosen(self) -> tuple:
        return (
            self.organizations[self.cleaned_data["organization"]],
            self.people[self.cleaned_data["filler"]],
        )


class ReassignForm(ChineseForm, forms.Form):
    assessor = forms.ModelChoiceField(label="改派给", queryset=User.objects.none())

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = queryset
        self.fields["assessor"].label_from_instance = lambda u: f"{u.name}（{u.username}）"


class RectificationEvidenceForm(forms.Form):
    """A supporting file, refused before it is read when it is over the limit."""

    file = forms.FileField(
        label="佐证材料（PDF、图片、Word/Excel，≤10 MB）",
        allow_empty_file=True,  # the service refuses an empty file with its own reason
        error_messages={"required": "请选择要上传的文件。", "invalid": "请选择要上传的文件。"},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(
                f"文件过大（{upload.size / 1024 / 1024:.1f} MB），上限为 10 MB。"
            )
        return upload


class EvidenceForm(RectificationEvidenceForm):
    code = forms.CharField(label="对应指标", max_length=20, required=False)
    file = forms.FileField(
        label="佐证材料（PDF、图片、Word/Excel，≤10 MB）",
        error_messages={key: "请选择要上传的文件。" for key in ("required", "invalid", "empty")},
    )


class OfflineUploadForm(forms.Form):
    file = forms.FileField(label="填好的评分表（.xlsx）")

    def clean_file(self):
        from branches.toolkit.spreadsheets import not_xlsx_message

        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(not_xlsx_message(upload.name))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError("文件过大。")
        return upload


class MeasureForm(forms.Form):
    measure = forms.CharField(
        label="整改措施", widget=forms.Textarea(attrs={"rows": 3}), max_length=MEASURE_MAX
    )
    responsible = forms.CharField(label="责任人", max_length=RESPONSIBLE_MAX)


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
    """A decision to overturn a veto: the organization by code and the stage among the
    campaign's own (anything else is refused, as one message)."""

    WRONG_TARGET = "组织编码或阶段不正确。"

    organization = forms.CharField(label="组织编码", max_length=32)
    code = forms.CharField(label="否决项编码", max_length=20)
    stage = forms.IntegerField(label="推翻阶段", min_value=1, max_value=MAX_ID)
    reason = forms.CharField(
        label="理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def clean(self):
        data = super().clean()
        if self.errors or self.campaign is None:
            return data
        data["organization"] = targets(self.campaign).filter(code=data["organization"]).first()
        data["stage"] = self.campaign.stages.filter(pk=data["stage"]).first()
        data["code"] = data["code"].strip()
        if data["organization"] is None or data["stage"] is None:
            raise forms.ValidationError(self.WRONG_TARGET)
        return data


class StageForm(ChineseForm, forms.ModelForm):
    class Meta:
        model = Stage
        fields = [
            "kind",
            "name",
            "assessed_by",
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


class ScoreSheetForm(forms.Form):
    """The score sheet as posted by its page (or its autosave): a value and a note per
    indicator code or part (``v_<code>``, ``n_<code>``), a flag and facts per veto item
    (``veto_<code>``, ``facts_<code>``), the revision the page was built on and the overall
    note. Values stay text here: the scoring engine parses them with its bounds and reports
    each bad one in Chinese on its line (``services.save_entries``)."""

    note = forms.CharField(required=False, strip=False)

    def __init__(self, *args, rules: scoring.Rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.veto_codes: list[str] = []
        self.codes: list[str] = []
        for item in rules.items():
            if item.kind == scoring.VETO:
                self.veto_codes.append(item.code)
                self.fields[f"veto_{item.code}"] = forms.CharField(required=False)
                self.fields[f"facts_{item.code}"] = forms.CharField(required=False, strip=False)
                continue
            for code in [p.code for p in item.parts] or [item.code]:
                self.codes.append(code)
                self.fields[f"v_{code}"] = forms.CharField(required=False, strip=False)
                self.fields[f"n_{code}"] = forms.CharField(required=False, strip=False)

    def clean(self):
        data = super().clean()
        # Bounded like every id-like parameter: a bad revision is a 400 in Chinese. An
        # absent one is -1, which matches no revision (a save with it is a conflict).
        data["revision"] = int_param(None, "revision", -1, minimum=0, data=self.data)
        return data

    @property
    def revision(self) -> int:
        return self.cleaned_data["revision"]

    @property
    def has_revision(self) -> bool:
        """True when the post carries the page's revision (the page's form was sent)."""
        return "revision" in self.data

    def entries(self) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """(values, notes, vetoes) for ``services.save_entries``: only the lines posted."""
        data = self.cleaned_data
        values = {c: data[f"v_{c}"] for c in self.codes if f"v_{c}" in self.data}
        notes = {c: data[f"n_{c}"] for c in self.codes if f"v_{c}" in self.data}
        vetoes = {c: data[f"facts_{c}"] for c in self.veto_codes if data[f"veto_{c}"]}
        return values, notes, vetoes

    @property
    def posted_veto_codes(self) -> list[str]:
        """The veto lines the post speaks about (its facts box or its checkbox): the page's
        whole form names every one, an autosave of what changed only those lines."""
        return [c for c in self.veto_codes if f"facts_{c}" in self.data or f"veto_{c}" in self.data]

    @property
    def posted_note(self) -> str | None:
        """The overall note, or None when the post leaves it alone."""
        return self.cleaned_data["note"] if "note" in self.data else None


class RemindForm(forms.Form):
    """催办: every open sheet, or only the late ones."""

    scope = forms.ChoiceField(
        label="催办范围",
        choices=[("late", "逾期未交的考评表"), ("open", "全部未提交的考评表")],
    )


class AssignMatrixForm(forms.Form):
    """Branches × reviewers: one choice per organization not yet assigned ("" = later)."""

    def __init__(self, *args, orgs, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(u.pk), f"{u.name}（{u.username}）") for u in reviewers]
        self.orgs = list(orgs)
        for org in self.orgs:
            self.fields[f"org_{org.pk}"] = forms.ChoiceField(
                label=org.name, choices=choices, required=False, widget=forms.RadioSelect
            )

    def choices(self) -> dict[int, int]:
        return {
            org.pk: int(self.cleaned_data[f"org_{org.pk}"])
            for org in self.orgs
            if self.cleaned_data.get(f"org_{org.pk}")
        }


class MeasuresForm(forms.Form):
    """A branch's open items, each with its measure and responsible person."""

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"measure_{item.pk}"] = forms.CharField(
                label=f"{item.code} 整改措施",
                required=False,
                max_length=2000,
                initial=item.measure,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"responsible_{item.pk}"] = forms.CharField(
                label=f"{item.code} 责任人", required=False, max_length=50, initial=item.responsible
            )

    def rows(self):
        return [
            (item, self[f"measure_{item.pk}"], self[f"responsible_{item.pk}"])
            for item in self.items
        ]

    def lines(self):
        from .services import MeasureLine

        return [
            MeasureLine(
                item.pk,
                item.code,
                self.cleaned_data.get(f"measure_{item.pk}", ""),
                self.cleaned_data.get(f"responsible_{item.pk}", ""),
            )
            for item in self.items
        ]


class ProblemForm(ChineseForm, forms.Form):
    """A problem put on a branch's ledger by hand (问题清单 → 责任清单 → 整改清单)."""

    source = forms.ChoiceField(label="问题来源", choices=[("", "---------"), *HAND_SOURCES])
    problem = forms.CharField(
        label="问题", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    responsible = forms.CharField(label="责任人", max_length=50)
    measure = forms.CharField(
        label="整改措施（可稍后由支部填写）",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    deadline = forms.DateField(label="整改时限", widget=DateInput())
    found_on = forms.DateField(label="发现日期", widget=DateInput(), required=False)

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if not date(2000, 1, 1) <= deadline <= date(2100, 12, 31):
            raise forms.ValidationError("整改时限不在合理范围内。")
        return deadline


class ScreeningForm(ChineseForm, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    category = forms.ChoiceField(label="类别", choices=[("", "---------"), *Category.choices])
    reason = forms.CharField(
        label="理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
