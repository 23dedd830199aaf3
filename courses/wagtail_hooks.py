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
