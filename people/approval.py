"""Approval by the approvers of an object's own municipality (decision 0008): the rules a Wagtail
Task shares when its approvers may moderate only what `visible_to` lets them see. Used by
quizzes.QuestionApprovalTask (questions) and selfcheck.SelfCheckApprovalTask (self-check rules);
each names its model in `moderated_model`."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _


class MunicipalityApprovalMixin:
    """For a Task with a `groups` field: a member of those groups moderates an object only when the
    object is within their municipality; a platform admin moderates everything."""

    moderated_model: type[models.Model]

    def _in_groups(self, user) -> bool:
        cache = user.__dict__.setdefault("_municipality_approval_checks", {})
        key = (type(self).__name__, self.pk)
        if key not in cache:
            cache[key] = self.groups.filter(id__in=user.groups.all()).exists()
        return cache[key]

    def user_may_moderate(self, obj, user) -> bool:
        if not user.is_authenticated or not user.is_active:
            return False
        if user.is_superuser:
            return True
        return self._in_groups(user) and self.moderated_model.objects.visible_to(user).filter(pk=obj.pk).exists()

    def user_can_access_editor(self, obj, user):
        return self.user_may_moderate(obj, user)

    def locked_for_user(self, obj, user):
        return not self.user_may_moderate(obj, user)

    def user_can_lock(self, obj, user):
        return self.user_may_moderate(obj, user)

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if not self.user_may_moderate(obj, user):
            return []
        return [
            ("reject", _("差し戻し"), True),
            ("approve", _("承認"), False),
            ("approve", _("コメントを付けて承認"), True),
        ]

    def get_task_states_user_can_moderate(self, user, **kwargs):
        from wagtail.models import TaskState

        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if user.is_superuser:
            return states
        if not self._in_groups(user):
            return TaskState.objects.none()
        visible = self.moderated_model.objects.visible_to(user).annotate(pk_text=Cast("pk", models.CharField()))
        return states.filter(workflow_state__object_id__in=visible.values("pk_text"))
