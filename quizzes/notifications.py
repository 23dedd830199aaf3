"""E-mail to the approvers of the question's own municipality when an editor submits a question
for approval (Wagtail's own group notifier would mail every group of the task; see
QuestionApprovalTask). Connected in QuizzesConfig.ready."""

from __future__ import annotations

from django.conf import settings
from wagtail.admin.mail import GroupApprovalTaskStateSubmissionEmailNotifier
from wagtail.models import TaskState


class QuestionApprovalSubmissionNotifier(GroupApprovalTaskStateSubmissionEmailNotifier):
    def can_handle(self, instance, **kwargs):
        from .models import QuestionApprovalTask

        return isinstance(instance, TaskState) and isinstance(instance.task.specific, QuestionApprovalTask)

    def get_recipient_users(self, task_state: TaskState, **kwargs):
        from people.models import User

        question = task_state.workflow_state.content_object
        recipients = task_state.task.specific.approvers_for(question)
        if getattr(settings, "WAGTAILADMIN_NOTIFICATION_INCLUDE_SUPERUSERS", True):
            recipients = recipients | User.objects.filter(is_superuser=True, is_active=True)
        if triggering_user := kwargs.get("user"):
            recipients = recipients.exclude(pk=triggering_user.pk)
        return recipients


question_submission_notifier = QuestionApprovalSubmissionNotifier()
