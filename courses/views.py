from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import translation
from wagtail import views as wagtail_views
from wagtail.models import Site

from people import scoping
from sns_training import pdf

from . import selectors, tree_cache, versions
from .models import GuidelinePage


@login_required
def mypage(request):
    from quizzes.selectors import course_progress, past_records
    from training.selectors import my_deadlines, my_reviews

    staff = scoping.acting_staff(request.user)
    deadlines = my_deadlines(staff=staff)
    guidelines = selectors.guidelines_for_user(user=request.user)
    chapters = selectors.chapters_for_guidelines(guidelines=guidelines)
    courses = [
        {
            "guideline": g,
            "chapters": chapters[g.pk],
            "progress": course_progress(staff=staff, guideline=g, chapters=chapters[g.pk]) if staff else None,
            "deadline": deadlines.get(g.pk),
        }
        for g in guidelines
    ]
    return render(
        request,
        "courses/mypage.html",
        {
            "courses": courses,
            "staff": staff,
            "records": past_records(staff=staff) if staff else [],
            "reviews": my_reviews(user=request.user) if staff else [],
        },
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


@login_required
def guideline_versions(request, pk: int):
    """The versions (第N版) of a guideline of the viewer's municipality, newest first."""
    guideline = get_object_or_404(GuidelinePage.objects.visible_to(request.user), pk=pk)
    history = list(guideline.versions.order_by("-number"))
    return render(request, "courses/guideline_versions.html", {"guideline": guideline, "versions": history})


def _comparison(request, pk: int, old: int, new: int) -> dict:
    guideline = get_object_or_404(GuidelinePage.objects.visible_to(request.user), pk=pk)
    old_version = get_object_or_404(guideline.versions, number=old)
    new_version = get_object_or_404(guideline.versions, number=new)
    return {
        "guideline": guideline,
        "old": old_version,
        "new": new_version,
        "chapters": versions.compare(old_version, new_version),
    }


@login_required
def guideline_comparison(request, pk: int, old: int, new: int):
    """The 新旧対照表 from 第old版 to 第new版 (改正後 | 改正前, changed passages marked)."""
    return render(request, "courses/guideline_comparison.html", _comparison(request, pk, old, new))


@login_required
def guideline_comparison_pdf(request, pk: int, old: int, new: int):
    """The same 新旧対照表 as an A4 landscape PDF (always in Japanese: a document for the file)."""
    context = _comparison(request, pk, old, new)
    font_url = pdf.font_url()
    with translation.override("ja"):
        html = render_to_string("courses/guideline_comparison_pdf.html", {**context, "font_url": font_url})
    response = HttpResponse(pdf.html_to_pdf(html, url_of_font=font_url), content_type="application/pdf")
    filename = f"shinkyu_{context['guideline'].pk}_{old}_{new}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
