"""Records refused access to an admin or HR object (issue 12): one access-log entry when an
authenticated user is refused a URL of the Wagtail admin (sns_training/admin_access.py answers 403
or 404; a scoped selector answers 404; Wagtail turns a PermissionDenied into a redirect with its
"no permission" message) or of the site's HR and 所属長 pages (`AUDITED_NAMESPACES`, which answer
404 through people/scoping.py).

An allowed request costs nothing here: only the status code is read. Anonymous users (sent to the
log-in page) and URLs that resolve to nothing (static files, typos) are not recorded."""

from __future__ import annotations

from django.contrib.messages import constants as message_levels
from django.utils import translation

from .models import AccessEvent
from .services import access_event_record

# URL namespaces outside /admin/ whose views answer 404 for someone else's staff, records or
# department (people/, training/, reports/).
AUDITED_NAMESPACES = frozenset({"people", "training", "reports"})

# Wagtail's own messages when it turns a refusal into a redirect (wagtail/admin/auth.py).
_WAGTAIL_REFUSALS = (
    "Sorry, you do not have permission to access this area.",
    "You do not have permission to access the admin.",
)


def _refusal_texts() -> set[str]:
    texts = set(_WAGTAIL_REFUSALS)
    for language in {"ja", translation.get_language() or "ja"}:
        with translation.override(language):
            texts.update(translation.gettext(text) for text in _WAGTAIL_REFUSALS)
    return texts


def _wagtail_refused(request) -> bool:
    """A redirect that carries Wagtail's "no permission" message (queued in this request)."""
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", None) or []
    errors = [str(m.message).strip() for m in queued if m.level == message_levels.ERROR]
    return bool(errors) and bool(set(errors) & _refusal_texts())


def audited_url(match) -> bool:
    # Unnamed URLs are Wagtail's catch-all for unknown admin paths (typos, old bookmarks): no object.
    if match is None or not match.url_name:
        return False
    return match.route.startswith("admin/") or bool(set(match.namespaces) & AUDITED_NAMESPACES)


class AccessRefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if status in (403, 404) or status == 302:
            self._record_if_refused(request, response, status)
        return response

    def _record_if_refused(self, request, response, status) -> None:
        match = getattr(request, "resolver_match", None)
        if not audited_url(match):
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        if status == 302:
            if not match.route.startswith("admin/") or not _wagtail_refused(request):
                return
        access_event_record(
            kind=AccessEvent.Kind.ACCESS_REFUSED,
            request=request,
            actor=user,
            username=user.get_username(),
            detail={
                "path": request.path[:500],
                "method": request.method,
                "status": status,
                "url_name": match.view_name or "",
            },
        )
