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
