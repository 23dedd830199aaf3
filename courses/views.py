from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def mypage(request):
    guidelines = selectors.guidelines_for_user(user=request.user)
    chapters = selectors.chapters_for_guidelines(guidelines=guidelines)
    courses = [{"guideline": g, "chapters": chapters[g.pk]} for g in guidelines]
    return render(
        request,
        "courses/mypage.html",
        {"courses": courses, "staff": getattr(request.user, "staff_profile", None)},
    )
