"""Wagtail wiring of the quizzes app (registration only)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .models import ScenarioQuestion
from .permissions import QuestionPermissionPolicy
from .viewsets import ScenarioQuestionViewSet

register_permission_policy(ScenarioQuestion, QuestionPermissionPolicy(ScenarioQuestion))
register_snippet(ScenarioQuestionViewSet)


@hooks.register("register_log_actions")
def register_quiz_log_actions(actions):
    actions.register_action("quizzes.attempt_graded", _("採点"), _("設問への回答を採点しました"))
    actions.register_action("quizzes.attested", _("誓約"), _("ガイドラインの遵守を誓約し、修了記録を作成しました"))
    actions.register_action(
        "quizzes.records_purged", _("修了記録の保存期間満了"), _("保存期間を過ぎた修了記録を削除しました")
    )
    actions.register_action(
        "quizzes.revision_attested", _("改正点の確認"), _("改正点を確認し、新しい版の遵守を誓約しました")
    )
