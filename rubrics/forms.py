from django import forms

from branches.forms import UploadForm


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


__all__ = ["PublishForm", "SlotTextsForm", "UploadForm"]
