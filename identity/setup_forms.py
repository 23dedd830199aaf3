"""The public first-access form: 自治体 + 職員番号 + the letter's code + a new password twice."""

from django import forms
from django.utils.translation import gettext_lazy as _

from people.models import Municipality


class SetupCodeForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.order_by("code"),
        to_field_name="code",
        label=_("自治体"),
        empty_label=_("選択してください"),
    )
    staff_number = forms.CharField(
        label=_("職員番号"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    code = forms.CharField(
        label=_("設定コード"),
        max_length=40,
        help_text=_("通知書に印刷された12文字のコード（例：ACDE-FG34-HJK7）。ハイフンは省略できます。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    password1 = forms.CharField(
        label=_("新しいパスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("10文字以上。数字だけのもの、よく使われるもの、氏名や職員番号に似たものは使えません。"),
    )
    password2 = forms.CharField(
        label=_("新しいパスワード（確認）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("確認用のパスワードが一致しません。"))
        return cleaned
