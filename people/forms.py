"""The log-in form: e-mail and password, or municipality + 職員番号 and password."""

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Municipality, login_username


class StaffLoginForm(LoginForm):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.order_by("code"),
        required=False,
        to_field_name="code",
        label=_("自治体（職員番号でログインする場合）"),
        empty_label=_("選択してください"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("メールアドレスまたは職員番号")
        login.max_length = 254
        login.widget.attrs.update({"placeholder": "", "autocomplete": "username", "maxlength": "254"})
        self.fields["password"].label = _("パスワード")
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.order_fields(["municipality", "login", "password"])

    def clean(self):
        login = (self.cleaned_data.get("login") or "").strip()
        if login and "@" not in login and not self.cleaned_data.get("municipality"):
            self.add_error("municipality", _("職員番号でログインする場合は、自治体を選んでください。"))
        return super().clean()

    def user_credentials(self) -> dict:
        login = self.cleaned_data["login"].strip()
        password = self.cleaned_data.get("password")
        municipality = self.cleaned_data.get("municipality")
        if "@" in login:
            credentials = {"email": login.lower()}
        else:
            # The rate-limit key is the username, so failures count per account.
            credentials = {"username": login_username(municipality.code, login)}
        if password:
            credentials["password"] = password
        return credentials
