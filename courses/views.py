from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from wagtail import views as wagtail_views
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.chooser import BrowseView
from wagtail.models import Page, Site

from . import selectors, tree_cache


@login_required
def mypage(request):
    from quizzes.selectors import course_progress, past_records

    staff = getattr(request.user, "staff_profile", None)
    guidelines = selectors.guidelines_for_user(user=request.user)
    chapters = selectors.chapters_for_guidelines(guidelines=guidelines)
    courses = [
        {
            "guideline": g,
            "chapters": chapters[g.pk],
            "progress": course_progress(staff=staff, guideline=g, chapters=chapters[g.pk]) if staff else None,
        }
        for g in guidelines
    ]
    return render(
        request,
        "courses/mypage.html",
        {"courses": courses, "staff": staff, "records": past_records(staff=staff) if staff else []},
    )


@require_admin_access
def page_chooser_browse(request, parent_page_id: int):
    """Wagtail's page chooser below one page (wired over Wagtail's URL in sns_training/urls.py):
    404 for a page outside the editor's scope, whose title the chooser would otherwise show."""
    if not selectors.admin_pages_for(user=request.user, pages=Page.objects.filter(pk=parent_page_id)).exists():
        raise Http404
    return BrowseView.as_view()(request, parent_page_id=parent_page_id)


def _site_with_root_page(request):
    site = Site._find_for_request(request)
    if site is not None:
        site.root_page = site.root_page.specific
    return site


def serve(request, path):
    """Wagtail's page view, with the request's site (and its home page) from the tree cache
    instead of two queries. Wired over Wagtail's `wagtail_serve` in sns_training/urls.py."""
    request._wagtail_site = tree_cache.cached(
        f"site:{request.get_host()}", lambda: _site_with_root_page(request), memo=request
    )
    return wagtail_views.serve(request, path)
