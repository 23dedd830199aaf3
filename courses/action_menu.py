"""The workflow's footer buttons for editors and approvers, in the page editor and the snippet
(question, self-check rule) editor (wired by courses/wagtail_hooks.py), and the rule for which
decisions an approver is offered (also read by courses/dashboard.py)."""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from wagtail.admin.action_menu import ActionMenuItem, SubmitForModerationMenuItem
from wagtail.admin.action_menu import WorkflowMenuItem as PageWorkflowMenuItem
from wagtail.models import Page
from wagtail.snippets.action_menu import SubmitForModerationMenuItem as SnippetSubmitForModerationMenuItem
from wagtail.snippets.action_menu import WorkflowMenuItem as SnippetWorkflowMenuItem

WORKFLOW_ITEMS = (PageWorkflowMenuItem, SnippetWorkflowMenuItem)


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


# The approver's decisions as they are shown everywhere (page editor, question and self-check rule
# editors, the dashboard's 承認待ち panel): (workflow action name, label, icon).
DECISIONS = (("approve", _l("承認"), "success"), ("reject", _l("差し戻し"), "arrow-left"))


def approver_decisions(actions) -> tuple[tuple[str, str, str], ...]:
    """The one rule for an approver's decisions on an object in moderation, from its task's actions
    as (name, label, launch_modal): 「承認」 and 「差し戻し」, each taken through Wagtail's dialog
    (comment + confirming button), when the user may take both with a dialog; otherwise none. The
    approve without a dialog is never offered, so every decision is confirmed (issue 16)."""
    with_dialog = {name for name, _label, launch_modal in actions if launch_modal}
    if not {"approve", "reject"} <= with_dialog:
        return ()
    return DECISIONS


def decisions_first(menu_items) -> bool:
    """Put 「承認」 and 「差し戻し」 first in a page's or snippet's footer, in place of Wagtail's workflow
    items for them (both under the dropdown, one approving without a dialog). True if done."""
    workflow = [item for item in menu_items if isinstance(item, WORKFLOW_ITEMS)]
    decisions = approver_decisions((item.name, item.label, item.launch_modal) for item in workflow)
    if not decisions:
        return False
    names = {name for name, _label, _icon in decisions}
    menu_items[:] = [item for item in menu_items if not (isinstance(item, WORKFLOW_ITEMS) and item.name in names)]
    menu_items.insert(0, ApproverDecisionMenuItem(decisions=decisions))
    return True


class ApproverDecisionMenuItem(ActionMenuItem):
    """The approver's two decisions on a page, question or self-check rule in moderation, side by
    side as the footer's main buttons: 「承認」 and 「差し戻し」. Each opens Wagtail's workflow dialog
    (a comment and a confirming button) before anything happens; neither is left under the
    dropdown's arrow."""

    name = "action-approver-decision"
    template_name = "courses/admin/approver_decision.html"

    def __init__(self, *, decisions, order=0):
        super().__init__(order=order)
        self.decisions = decisions

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        obj = parent_context.get("page") or parent_context["instance"]
        context["decisions"] = [(name, label, icon, _dialog_url(obj, name)) for name, label, icon in self.decisions]
        return context


def _dialog_url(obj, action: str) -> str:
    """The URL of Wagtail's dialog collecting the decision's comment, for a page or a snippet."""
    task_state = obj.current_workflow_task_state
    if isinstance(obj, Page):
        return reverse("wagtailadmin_pages:collect_workflow_action_data", args=[obj.pk, action, task_state.pk])
    url_name = obj.snippet_viewset.get_url_name("collect_workflow_action_data")
    return reverse(url_name, args=[quote(obj.pk), action, task_state.pk])


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
