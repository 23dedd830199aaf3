"""Wagtail admin wiring of the courses app (registration only)."""

from wagtail import hooks

from . import selectors


@hooks.register("construct_page_chooser_queryset")
def page_chooser_scope(pages, request):
    return selectors.admin_pages_for(user=request.user, pages=pages)


@hooks.register("register_admin_urls")
def chapter_changes_urls():
    from django.urls import path

    from .admin_views import ChapterChangesView

    return [path("chapters/<int:page_id>/changes/", ChapterChangesView.as_view(), name="courses_chapter_changes")]


@hooks.register("register_page_header_buttons")
def chapter_changes_button(page, user, view_name, next_url=None):
    """「新旧対照表」 beside a chapter's edit button, for the editor and the approver."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _
    from wagtail.admin.widgets import Button

    from .models import ChapterPage

    if isinstance(page.specific_deferred, ChapterPage) and page.has_unpublished_changes:
        yield Button(
            _("新旧対照表"),
            reverse("courses_chapter_changes", args=[page.pk]),
            icon_name="doc-full",
            priority=5,
        )


@hooks.register("insert_editor_js")
def clause_removal_js():
    """The confirmation before a clause is removed (courses/panels.py ClauseCitationsPanel)."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html('<script src="{}"></script>', static("courses/admin/clause_removal.js"))


@hooks.register("construct_page_action_menu")
def submit_first_for_editors(menu_items, request, context):
    """For someone who may not publish (an editor), 「承認フローに提出」 is the footer's main button,
    not an entry under 「下書き保存」; publishing is never offered to them (issue 16)."""
    from .action_menu import EditorSubmitMenuItem

    page = context.get("page")
    parent = context.get("parent_page")
    target = page if page is not None and page.pk else parent
    if target is None or target.permissions_for_user(request.user).can_publish():
        return
    menu_items[:] = [item for item in menu_items if item.name != "action-publish"]
    for index, item in enumerate(menu_items):
        if item.name == "action-submit":
            menu_items.pop(index)
            menu_items.insert(0, EditorSubmitMenuItem(order=item.order))
            break


@hooks.register("construct_page_action_menu")
def decisions_first_for_approvers(menu_items, request, context):
    """For the approver of a page in moderation, 「承認」 and 「差し戻し」 are the footer's main buttons,
    each asking in a dialog (with a comment) first (issue 16); saving stays in the dropdown."""
    from .action_menu import ApproverDecisionMenuItem

    page = context.get("page")
    if page is None or not page.pk or context.get("view") != "edit":
        return
    workflow = [item for item in menu_items if getattr(item, "launch_modal", None) is not None]
    approve = next((item for item in workflow if item.name == "approve" and item.launch_modal), None)
    reject = next((item for item in workflow if item.name == "reject"), None)
    if approve is None or reject is None:
        return
    # The approve without a dialog goes too: every decision is confirmed.
    menu_items[:] = [item for item in menu_items if item not in workflow or item.name not in ("approve", "reject")]
    menu_items.insert(0, ApproverDecisionMenuItem(approve_item=approve, reject_item=reject))


@hooks.register("after_edit_page")
def decision_confirmed(request, page):
    """After 「承認」 or 「差し戻し」, a message saying what was decided (Wagtail's own only says the
    page was updated)."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    if request.method != "POST" or not request.POST.get("action-workflow-action"):
        return
    title = page.get_admin_display_title()
    action = request.POST.get("workflow-action-name")
    if action == "approve":
        messages.success(request, _("「%(title)s」を承認しました。編集者に通知しました。") % {"title": title})
    elif action == "reject":
        messages.success(
            request, _("「%(title)s」を差し戻しました。編集者にコメントとともに通知しました。") % {"title": title}
        )


@hooks.register("construct_snippet_action_menu")
def snippet_submit_first_for_editors(menu_items, request, context):
    """The question editor's footer for someone who may not publish (an editor): 「承認フローに提出」
    is the main button, as in the page editor (issue 16)."""
    from .action_menu import EditorSnippetSubmitMenuItem

    if any(item.name == "action-publish" for item in menu_items):
        return
    for index, item in enumerate(menu_items):
        if item.name == "action-submit":
            menu_items.pop(index)
            menu_items.insert(0, EditorSnippetSubmitMenuItem(order=item.order))
            break
