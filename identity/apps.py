from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("ログインとアクセス")

    def ready(self):
        from allauth.account.signals import user_logged_in

        from .sso import record_sso_login

        # branch sso: log-ins through an IdP are logged with their method (identity/sso.py).
        user_logged_in.connect(record_sso_login, dispatch_uid="identity.sso.record_sso_login")
