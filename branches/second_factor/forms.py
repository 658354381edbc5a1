from django import forms


class CodeForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        max_length=20,
        help_text="身份验证器上的 6 位数字；手机不在身边时，可输入一个恢复码。",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
        error_messages={"required": "请输入验证码。", "max_length": "验证码太长。"},
    )


class EnrolForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        max_length=20,
        help_text="扫码或手动添加后，输入身份验证器上显示的 6 位数字。",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}
        ),
        error_messages={"required": "请输入验证码。", "max_length": "验证码太长。"},
    )
