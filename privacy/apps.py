from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal data kept only as long as needed (decision 0040): disclosure, retention, erasure."""

    name = "privacy"
    verbose_name = _("個人情報の管理")
