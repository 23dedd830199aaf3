"""Platform-admin screens for single sign-on (設定 › シングルサインオン設定; registered in
identity/wagtail_hooks.py). Superusers only: no entry in sns_training/admin_access.py POLICIES, so
every other user is refused (deny by default, decision 0021). The client secret is write-only."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.models import formfield_for_dbfield
from wagtail.admin.viewsets.model import ModelViewSet

from .models import SsoProvider

RESERVED_SLUGS = {"openid_connect", "saml", "oidc"}


def _formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")  # IdP URLs are https (Django 6's default)
    return formfield_for_dbfield(db_field, **kwargs)


class SsoProviderForm(WagtailAdminModelForm):
    """The client secret is never shown again: left blank, the stored one is kept."""

    client_secret = forms.CharField(
        label=_("クライアントシークレット（OIDC）"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "保存済みの値は表示しません。空欄のままなら変更しません。環境変数名を指定した場合はそちらが優先されます。"
        ),
    )
    clear_client_secret = forms.BooleanField(label=_("保存済みのクライアントシークレットを削除する"), required=False)

    class Meta:
        model = SsoProvider
        formfield_callback = _formfield
        fields = [
            "municipality",
            "protocol",
            "slug",
            "label",
            "enabled",
            "issuer_url",
            "client_id",
            "client_secret_env",
            "client_secret",
            "idp_entity_id",
            "idp_sso_url",
            "idp_x509_cert",
            "idp_metadata_url",
            "match_by",
            "claim",
        ]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug.lower() in RESERVED_SLUGS:
            raise forms.ValidationError(_("この識別子は使えません。"))
        return slug

    def clean_idp_x509_cert(self):
        cert = self.cleaned_data.get("idp_x509_cert", "").strip()
        if cert:
            import base64
            import binascii

            from cryptography import x509

            from .sso import pem_body

            try:
                x509.load_der_x509_certificate(base64.b64decode(pem_body(cert), validate=True))
            except (ValueError, binascii.Error):
                raise forms.ValidationError(
                    _("証明書を読み取れません。PEM（Base64）形式の証明書を貼り付けてください。")
                )
        return cert

    def clean(self):
        data = super().clean()
        protocol = data.get("protocol")
        if protocol == SsoProvider.Protocol.OIDC:
            for name in ("issuer_url", "client_id"):
                if not data.get(name):
                    self.add_error(name, _("OpenID Connect では必須です。"))
        elif protocol == SsoProvider.Protocol.SAML:
            if not data.get("idp_entity_id"):
                self.add_error("idp_entity_id", _("SAML では必須です。"))
            if not data.get("idp_metadata_url") and not (data.get("idp_sso_url") and data.get("idp_x509_cert")):
                self.add_error(
                    "idp_sso_url", _("SAML では、シングルサインオンURLと署名証明書、またはメタデータURLが必要です。")
                )
        return data

    def save(self, commit=True):
        instance = super().save(commit=False)
        secret = self.cleaned_data.get("client_secret")
        if self.cleaned_data.get("clear_client_secret"):
            instance.client_secret = ""
        elif not secret:
            instance.client_secret = (
                SsoProvider.objects.filter(pk=instance.pk).values_list("client_secret", flat=True).first() or ""
                if instance.pk
                else ""
            )
        if commit:
            instance.save()
        return instance


class SsoProviderViewSet(ModelViewSet):
    model = SsoProvider
    icon = "key"
    menu_label = _("シングルサインオン設定")
    add_to_settings_menu = True
    menu_order = 920
    list_display = ["label", "municipality", "protocol", "slug", "enabled"]
    list_filter = ["municipality", "protocol", "enabled"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return SsoProviderForm
