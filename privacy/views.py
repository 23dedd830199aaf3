"""The employee's own 本人開示 download, linked from my page (decision 0040). GET shows what the
file holds; POST (CSRF) builds and logs it. HR's pages are in privacy/admin_views.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from people import scoping

from . import services


@login_required
@require_http_methods(["GET", "POST"])
def my_disclosure(request):
    staff = scoping.acting_staff(request.user)
    if staff is None:
        raise Http404
    if request.method == "POST":
        content, filename = services.disclosure_export(user=request.user, staff=staff)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "privacy/my_disclosure.html", {"staff": staff})
