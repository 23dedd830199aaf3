"""CSP form-action for the pages whose forms post on to a municipality's IdP, and the access-log
entry for a SAML answer allauth refuses without telling the adapter (identity/sso.py)."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied

from sns_training.security import build_policy

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
