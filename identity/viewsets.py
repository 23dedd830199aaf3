"""Wagtail admin views of the identity app: the platform admin configures each municipality's
directory and log-in policy under 設定. Only superusers reach them (no entry in
sns_training/admin_access.py POLICIES: deny by default, decision 0021)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.viewsets.model import ModelViewSet

from .directory import ATTRIBUTE_NAME
from .models import DirectoryConfig, LoginPolicy


class DirectoryConfigForm(WagtailAdminModelForm):
    """The bind password is write-only: never rendered back; left empty, the stored one stays."""

    bind_password = forms.CharField(
        label=_("バインドパスワード"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    bind_password_clear = forms.BooleanField(label=_("保存済みのバインドパスワードを削除する"), required=False)

    class Meta:
        model = DirectoryConfig
        fields = [
            "municipality",
            "enabled",
            "server_uri",
            "start_tls",
            "bind_dn",
            "bind_password_env",
            "bind_password",
            "user_search_base",
            "login_attribute",
            "staff_number_attribute",
            "login_label",
            "timeout_seconds",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = bool(self.instance.pk and self.instance.bind_password)
        self.fields["bind_password"].help_text = (
            _("保存済みです。変更するときだけ入力してください（表示はしません）。")
            if stored
            else _("環境変数を使わないときに入力します。保存後は表示しません。")
        )
        if not stored:
            del self.fields["bind_password_clear"]

    def clean_server_uri(self):
        uri = self.cleaned_data["server_uri"].strip()
        if not uri.lower().startswith(("ldap://", "ldaps://")):
            raise forms.ValidationError(_("ldap:// または ldaps:// で始まるURIを入力してください。"))
        return uri

    def _attribute(self, name):
        value = self.cleaned_data[name].strip()
        if not ATTRIBUTE_NAME.match(value):
            raise forms.ValidationError(_("属性名は半角英字で始まる英数字とハイフンで入力してください。"))
        return value

    def clean_login_attribute(self):
        return self._attribute("login_attribute")

    def clean_staff_number_attribute(self):
        return self._attribute("staff_number_attribute")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("bind_password_clear"):
            cleaned["bind_password"] = ""
        elif not cleaned.get("bind_password"):
            cleaned["bind_password"] = self.instance.bind_password if self.instance.pk else ""
        return cleaned


class DirectoryConfigViewSet(ModelViewSet):
    model = DirectoryConfig
    icon = "key"
    menu_label = _("ディレクトリ設定")
    add_to_settings_menu = True
    menu_order = 810
    list_display = ["municipality", "server_uri", "enabled"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return DirectoryConfigForm


class LoginPolicyViewSet(ModelViewSet):
    model = LoginPolicy
    icon = "lock"
    menu_label = _("ログイン設定")
    add_to_settings_menu = True
    menu_order = 800
    form_fields = [
        "municipality",
        "password_allowed",
        "password_when_directory_down",
        "no_mailbox_contact",
        "setup_code_valid_days",
        "access_log_retention_days",
    ]
    list_display = ["municipality", "password_allowed", "password_when_directory_down"]
    copy_view_enabled = False
    inspect_view_enabled = False
