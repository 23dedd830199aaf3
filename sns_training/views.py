from django.http import HttpResponse
from django.shortcuts import render


def healthz(request):
    """Liveness probe, and the bare view the benchmark compares pages against."""
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
