"""Wagtail admin wiring of the courses app (registration only)."""

from wagtail import hooks

from . import selectors


@hooks.register("construct_page_chooser_queryset")
def page_chooser_scope(pages, request):
    return selectors.admin_pages_for(user=request.user, pages=pages)
