from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfcheckConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "selfcheck"
    verbose_name = _("投稿前セルフチェック")
