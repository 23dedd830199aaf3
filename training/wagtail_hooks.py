"""Wagtail wiring of the training app (registration only)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .models import TrainingCycle
from .viewsets import TrainingCyclePermissionPolicy, TrainingCycleViewSet

register_permission_policy(TrainingCycle, TrainingCyclePermissionPolicy(TrainingCycle))


@hooks.register("register_admin_viewset")
def register_training_cycle_viewset():
    return TrainingCycleViewSet("training_cycles")


@hooks.register("register_admin_viewset")
def register_training_exceptions_viewset():
    from .exceptions_admin import TrainingExceptionsViewSet

    return TrainingExceptionsViewSet()


@hooks.register("register_log_actions")
def register_training_log_actions(actions):
    actions.register_action(
        "training.cycle_opened", _("研修サイクル開始"), _("研修サイクルを開始し、対象者を割り当てました")
    )
    actions.register_action("training.cycle_changed", _("研修サイクル変更"), _("研修サイクルの日程を変更しました"))
    actions.register_action(
        "training.assignments_synced", _("受講対象の更新"), _("職員名簿の変更に合わせて受講対象を更新しました")
    )
    actions.register_action(
        "training.revision_reviews_created",
        _("改正点の確認の割当"),
        _("実質的な改正の版の施行に合わせて改正点の確認を割り当てました"),
    )
    actions.register_action(
        "training.revision_review_due_set", _("改正点の確認の期限"), _("改正点の確認の期限を設定しました")
    )
    actions.register_action("training.reminder_sent", _("督促"), _("所属長が督促メールを送信しました"))
    actions.register_action("training.assignment_extended", _("受講期限の延長"), _("職員の受講期限を延長しました"))
    actions.register_action(
        "training.assignment_extension_undone", _("受講期限の延長の取消"), _("職員の受講期限の延長を取り消しました")
    )
    actions.register_action("training.assignment_exempted", _("受講の免除"), _("職員を今年度の受講から免除しました"))
    actions.register_action(
        "training.assignment_exemption_undone", _("受講の免除の取消"), _("職員の受講の免除を取り消しました")
    )
