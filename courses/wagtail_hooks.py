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
    from .action_menu import decisions_first

    page = context.get("page")
    if page is not None and page.pk and context.get("view") == "edit":
        decisions_first(menu_items)


@hooks.register("construct_snippet_action_menu")
def snippet_decisions_first_for_approvers(menu_items, request, context):
    """The same for a question or a self-check rule in moderation (their tasks, people/approval.py,
    offer the same approve / reject as the pages' task)."""
    from .action_menu import decisions_first

    instance = context.get("instance")
    if instance is not None and instance.pk and context.get("view") == "edit":
        decisions_first(menu_items)


def _decision_message(request, title: str) -> None:
    """After 「承認」 or 「差し戻し」 in an editor's footer, a message saying what was decided
    (Wagtail's own only says the page or snippet was updated)."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    if request.method != "POST" or not request.POST.get("action-workflow-action"):
        return
    action = request.POST.get("workflow-action-name")
    if action == "approve":
        messages.success(request, _("「%(title)s」を承認しました。編集者に通知しました。") % {"title": title})
    elif action == "reject":
        messages.success(
            request, _("「%(title)s」を差し戻しました。編集者にコメントとともに通知しました。") % {"title": title}
        )


@hooks.register("after_edit_page")
def decision_confirmed(request, page):
    _decision_message(request, page.get_admin_display_title())


@hooks.register("after_edit_snippet")
def snippet_decision_confirmed(request, instance):
    from wagtail.admin.utils import get_latest_str

    _decision_message(request, get_latest_str(instance))


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


@hooks.register("construct_homepage_panels")
def awaiting_review_panel(request, panels):
    """The dashboard's 承認待ち panel offers the approver's two decisions, each with a dialog."""
    from .dashboard import awaiting_review_panel_swap

    awaiting_review_panel_swap(panels)
