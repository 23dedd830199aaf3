"""allauth.mfa forms with Japanese labels where allauth's catalog has none (settings.MFA_FORMS)."""

from allauth.mfa.webauthn.forms import AddWebAuthnForm as BaseAddWebAuthnForm
from django.utils.translation import gettext_lazy as _


class AddWebAuthnForm(BaseAddWebAuthnForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("名前（例：職場のPC、セキュリティキー1）")
