from django import forms

from ..forms import ChineseForm, DateInput
from ..models import Member, User


class MemberForm(ChineseForm, forms.ModelForm):
    username = forms.CharField(
        label="系统账号（工号）",
        max_length=150,
        required=False,
        help_text="该党员有登录账号时填写其工号；没有可留空。",
    )

    class Meta:
        model = Member
        fields = ["name", "status", "party_group", "joined_on", "phone", "left_on", "note"]
        widgets = {"joined_on": DateInput(), "left_on": DateInput()}
        help_texts = {
            "party_group": "所在党小组名称，如“转炉党小组”",
            "left_on": "调离、转出等离开本支部时填写；填写后不再计入党员人数",
        }

    def __init__(self, *args, can_link: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.user_id:
            self.fields["username"].initial = self.instance.user.username
        if not can_link:
            # Shown, not changed: linking a login is the department's or the account
            # administrator's act (branches.roster.services.may_link_logins).
            self.fields["username"].disabled = True
            self.fields["username"].help_text = "系统账号的关联由党群部或系统管理员办理。"

    def clean_username(self) -> User | None:
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(f"工号“{username[:30]}”不存在。")
        return user

    def member_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields or ()}
        data["user"] = self.cleaned_data["username"]
        return data
