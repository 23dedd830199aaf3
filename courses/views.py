from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from wagtail import views as wagtail_views
from wagtail.models import Site

from people import scoping

from . import selectors, tree_cache


@login_required
def mypage(request):
    from quizzes.selectors import course_progress, past_records

    staff = scoping.acting_staff(request.user)
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
