from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("設問・受講記録")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wagtail.models import TaskState
        from wagtail.signals import task_submitted

        from . import receivers  # noqa: F401
        from .notifications import question_submission_notifier

        task_submitted.connect(
            question_submission_notifier, sender=TaskState, dispatch_uid="quizzes_question_approval_submitted"
        )
