"""Language selection: Japanese unless the person chose English (cookie), never the browser's header.

Wired in settings.MIDDLEWARE in place of Django's LocaleMiddleware: a city hall PC or a phone
set to English must not turn the training site English on its own.
"""

from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.available:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


BAD_TEXT_MESSAGE = _("送信された内容に使えない文字（NUL 文字や UTF-8 として読めないバイト）が含まれています。")


def _strict_utf8(raw: bytes | str) -> bool:
    """Whether a urlencoded string (query string or form body) decodes as UTF-8 without NUL."""
    if isinstance(raw, str):
        raw = raw.encode("latin-1", errors="replace")  # WSGI hands the query string over as latin-1
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def _clean_values(data) -> bool:
    return not any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


class RejectBadTextMiddleware:
    """A NUL byte or bytes that are not UTF-8 in the query string or a form field answer 400 with a
    Japanese page before any view runs: PostgreSQL refuses NUL in text (a 500 in Wagtail's tag
    autocomplete and pages API, and in any form), and Django would silently turn bad bytes into U+FFFD.
    Wired after AuthenticationMiddleware (the page shows who is logged in) and the header middleware
    (the 400 carries them), before any view and CSRF's check (process_view)."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._acceptable(request):
            return render(request, "400.html", {"reason": BAD_TEXT_MESSAGE}, status=400)
        return self.get_response(request)

    def _acceptable(self, request) -> bool:
        if not _strict_utf8(request.META.get("QUERY_STRING", "")):
            return False
        if request.method != "POST" or request.content_type not in self.FORM_TYPES:
            return True
        if request.content_type == "application/x-www-form-urlencoded" and not _strict_utf8(request.body):
            return False
        # Multipart fields: Django has already replaced undecodable bytes; NUL is what remains.
        return _clean_values(request.POST)
