from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("設問・受講記録")
    default_auto_field = "django.db.models.BigAutoField"
