"""The page editor's footer for editors (wired by courses/wagtail_hooks.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from wagtail.admin.action_menu import ActionMenuItem, SubmitForModerationMenuItem
from wagtail.snippets.action_menu import SubmitForModerationMenuItem as SnippetSubmitForModerationMenuItem


class EditorSubmitMenuItem(SubmitForModerationMenuItem):
    """Wagtail's "Submit to <workflow>", named for what it does for an editor: 「承認フローに提出」
    (「承認フローに再提出」 after an approver sent it back)."""

    icon_name = "resubmit"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        page = context.get("page")
        state = page.current_workflow_state if page is not None and page.pk else None
        if state is not None and state.status == state.STATUS_NEEDS_CHANGES:
            context["label"] = _("承認フローに再提出")
        else:
            context["label"] = _("承認フローに提出")
        return context


class ApproverDecisionMenuItem(ActionMenuItem):
    """The approver's two decisions on a page in moderation, side by side as the footer's main
    buttons: 「承認」 and 「差し戻し」. Each opens Wagtail's workflow dialog (a comment and a
    confirming button) before anything happens; neither is left under the dropdown's arrow."""

    name = "action-approver-decision"
    template_name = "courses/admin/approver_decision.html"

    def __init__(self, *, approve_item, reject_item, order=0):
        super().__init__(order=order)
        self.approve_item = approve_item
        self.reject_item = reject_item

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        page = context["page"]
        context["current_task_state"] = page.current_workflow_task_state
        context["decisions"] = [
            (self.approve_item.name, _("承認"), "success"),
            (self.reject_item.name, _("差し戻し"), "arrow-left"),
        ]
        return context


def submit_label(instance) -> str:
    """「承認フローに提出」, or 「承認フローに再提出」 after an approver sent it back."""
    state = instance.current_workflow_state if instance is not None and instance.pk else None
    if state is not None and state.status == state.STATUS_NEEDS_CHANGES:
        return _("承認フローに再提出")
    return _("承認フローに提出")


class EditorSnippetSubmitMenuItem(SnippetSubmitForModerationMenuItem):
    """The question (snippet) editor's 「承認フローに提出」, as EditorSubmitMenuItem for pages."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["label"] = submit_label(context.get("instance"))
        return context
