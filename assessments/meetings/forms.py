"""The meeting form (announce or record, with each roster member's presence), its
amendment, and the assessor's reason for departing from a suggested score."""

from datetime import date

from django import forms

from branches.forms import ChineseForm, DateInput
from branches.meeting_kinds import KIND_CHOICES

from .services import Presence


class MeetingForm(ChineseForm, forms.Form):
    """Announce (预告日期 only) or record (召开日期) a meeting; who was absent and why, from
    the branch's roster (everyone listed is present unless marked absent)."""

    kind = forms.ChoiceField(label="会议类型", choices=[("", "---------"), *KIND_CHOICES])
    planned_on = forms.DateField(label="预告日期", widget=DateInput(), required=False)
    held_on = forms.DateField(label="召开日期", widget=DateInput(), required=False)
    place = forms.CharField(label="地点", max_length=100, required=False)
    topic = forms.CharField(label="主题", max_length=200)
    host = forms.CharField(label="主持人", max_length=50, required=False)
    minutes = forms.CharField(
        label="会议记录", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, required=False
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for m in self.members:
            self.fields[f"absent_{m.pk}"] = forms.BooleanField(
                label=f"{m.name} 缺席", required=False
            )
            self.fields[f"reason_{m.pk}"] = forms.CharField(
                label=f"{m.name} 缺席原因", max_length=100, required=False
            )

    def clean(self):
        data = super().clean()
        for day in ("planned_on", "held_on"):
            value = data.get(day)
            if value and not date(2000, 1, 1) <= value <= date(2100, 12, 31):
                self.add_error(day, "日期不在合理范围内。")
        return data

    def member_rows(self):
        return [(m, self[f"absent_{m.pk}"], self[f"reason_{m.pk}"]) for m in self.members]

    def values(self) -> dict:
        return {
            k: self.cleaned_data.get(k)
            for k in ("kind", "planned_on", "held_on", "place", "topic", "host", "minutes")
        }

    def attendance(self):
        """Presence of each roster member, or None for an announcement (nothing held yet)."""
        if not self.cleaned_data.get("held_on"):
            return None
        return [
            Presence(
                m,
                not self.cleaned_data.get(f"absent_{m.pk}"),
                self.cleaned_data.get(f"reason_{m.pk}") or "",
            )
            for m in self.members
        ]


class AmendmentForm(MeetingForm):
    reason = forms.CharField(
        label="更正理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class DepartureForm(forms.Form):
    code = forms.CharField(max_length=20)
    reason = forms.CharField(
        label="偏离建议得分的理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
