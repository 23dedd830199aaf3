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


@hooks.register("register_log_actions")
def register_training_log_actions(actions):
    actions.register_action(
        "training.cycle_opened", _("研修サイクル開始"), _("研修サイクルを開始し、対象者を割り当てました")
    )
    actions.register_action("training.cycle_changed", _("研修サイクル変更"), _("研修サイクルの日程を変更しました"))
    actions.register_action(
        "training.assignments_synced", _("受講対象の更新"), _("職員名簿の変更に合わせて受講対象を更新しました")
    )
    actions.register_action("training.reminder_sent", _("督促"), _("所属長が督促メールを送信しました"))
