"""The page editor's footer for editors (wired by courses/wagtail_hooks.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from wagtail.admin.action_menu import SubmitForModerationMenuItem


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
