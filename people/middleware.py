"""Ends a session after SESSION_IDLE_TIMEOUT seconds without a request (wired in settings.MIDDLEWARE)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "_last_seen"
# Refresh the stamp at most once a minute, so most requests do not write the session.
_RESOLUTION = 60


class IdleSessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.info(
                    request, _("30分以上操作がなかったため、ログアウトしました。もう一度ログインしてください。")
                )
            elif last_seen is None or now - last_seen >= _RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
