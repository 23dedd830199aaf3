"""The public 修了証の確認 page (no log-in): anyone holding a certificate, a personnel office of
another employer for example, types or follows its verification code and learns whether it is a
valid certificate of this site. It shows only what the certificate itself shows to its reader:
the holder's name, the municipality, the guideline, its version, the 年度 and the date. Failed
look-ups are limited per address so codes cannot be guessed (decision 0042)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from people.adapters import client_ip

from .. import selectors

# Unknown codes one address may try in the window (settings.REPORTS_VERIFY_FAILED_LIMIT).
WINDOW_SECONDS = 10 * 60


def _failures_key(request) -> str:
    return f"reports:verify-failed:{client_ip(request) or 'unknown'}"


def _too_many_failures(request) -> bool:
    return (cache.get(_failures_key(request)) or 0) >= settings.REPORTS_VERIFY_FAILED_LIMIT


def _failure_count(request) -> None:
    key = _failures_key(request)
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, WINDOW_SECONDS)


@never_cache
@require_GET
def verify(request, code: str | None = None):
    """GET /verify/?code=… (the form) or /verify/<code>/ (the certificate's link). A look-up reads
    and changes nothing, so it stays a GET; the form's code is moved into the path."""
    typed = request.GET.get("code")
    if code is None and typed is not None:
        normalised = selectors.normalise_code(typed)
        if normalised:
            return redirect(reverse("verify_code", args=[normalised]))
    context = {"code": code or "", "typed": typed is not None, "record": None}
    status = 200
    if code is not None:
        if _too_many_failures(request):
            context["rate_limited"] = True
            status = 429
        else:
            record = selectors.record_public(code=code)
            if record is None:
                _failure_count(request)
                status = 404
            else:
                context |= {"record": record, **record.certificate_dates()}
            context["looked_up"] = True
    response = render(request, "reports/verify_public.html", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
