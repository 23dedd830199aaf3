from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("ログインとアクセス")

    def ready(self):
        from . import (  # noqa: F401  (mfa_admin registers its admin viewset)
            mfa,
            mfa_admin,
            receivers,  # noqa: F401  (the access log's signal receivers)
        )

        mfa.connect_receivers()
