"""The dashboard's 承認待ち panel (wired by courses/wagtail_hooks.py): Wagtail's "awaiting your
review" panel, which lists the pages, questions and self-check rules whose current task the viewer
may act on (each task scopes them: pages by municipality group, the others by
people/approval.py), with the approver's decisions of courses/action_menu.py in its menu."""

from __future__ import annotations

from wagtail.admin.views.home import WorkflowObjectsToModeratePanel

from .action_menu import approver_decisions


class AwaitingReviewPanel(WorkflowObjectsToModeratePanel):
    """Each row's menu offers 「承認」 and 「差し戻し」, both through the dialog, instead of Wagtail's
    three entries, one of which approves at once without asking."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        for state in context["states"]:
            decisions = approver_decisions(state["actions"])
            if decisions:
                state["actions"] = [(name, label, True) for name, label, _icon in decisions]
        return context


def awaiting_review_panel_swap(panels) -> None:
    for index, panel in enumerate(panels):
        if type(panel) is WorkflowObjectsToModeratePanel:
            panels[index] = AwaitingReviewPanel()
