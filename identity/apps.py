from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("ログインとアクセス")

    def ready(self):
        from . import mfa, mfa_admin  # noqa: F401  (mfa_admin registers its admin viewset)

        mfa.connect_receivers()
