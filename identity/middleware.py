"""Middleware of the identity app: the CSP form-action for pages whose forms post on to a
municipality's IdP (identity/sso.py), and the access-log entry for refused access to an admin or
HR object (issue 12)."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.core.exceptions import PermissionDenied
from django.utils import translation

from sns_training.security import build_policy

from .models import AccessEvent
from .services import access_event_record
from .sso import form_action_origins

# allauth's own pages of a provider log-in (the confirmation page when opened by GET).
_SSO_PATH_PREFIXES = ("/accounts/oidc/", "/accounts/saml/")
_SAML_FINISH = re.compile(r"^/accounts/saml/(?P<slug>[^/]+)/acs/finish/$")


class SsoFormActionMiddleware:
    """A log-in button posts to our provider URL, which redirects to the IdP; browsers check
    CSP form-action against that redirect too. Pages that rendered SSO buttons (marked by the
    `sso_buttons` tag) and allauth's provider pages get the enabled IdPs' origins added. Sits
    inside SecurityHeadersMiddleware, which then keeps this header (setdefault)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "sso_form_action", False) or request.path.startswith(_SSO_PATH_PREFIXES):
            origins = form_action_origins()
            nonce = getattr(request, "csp_nonce", None)
            if origins and nonce is not None and "Content-Security-Policy" not in response.headers:
                admin = request.path.startswith(settings.CSP_ADMIN_PATH_PREFIX)
                directives = dict(settings.CONTENT_SECURITY_POLICY_ADMIN if admin else settings.CONTENT_SECURITY_POLICY)
                directives["form-action"] = [*directives.get("form-action", []), *origins]
                response.headers["Content-Security-Policy"] = build_policy(directives, nonce)
        return response

    def process_exception(self, request, exception):
        """A SAML answer whose request state is gone (a replayed or stale response) makes allauth
        raise PermissionDenied (403) without calling the adapter: log it as a failed log-in."""
        match = _SAML_FINISH.match(request.path)
        if match and isinstance(exception, PermissionDenied):
            from .models import AccessEvent, SsoProvider
            from .services import access_event_record

            row = SsoProvider.objects.filter(slug=match["slug"]).first()
            access_event_record(
                kind=AccessEvent.Kind.LOGIN_FAILED,
                request=request,
                municipality_id=row.municipality_id if row else None,
                method=AccessEvent.Method.SAML,
                detail={"provider": match["slug"], "reason": "state_missing"},
            )
        return None


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
