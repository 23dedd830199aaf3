"""CSP form-action for the pages whose forms post on to a municipality's IdP (identity/sso.py)."""

from __future__ import annotations

from django.conf import settings

from sns_training.security import build_policy

from .sso import form_action_origins

# allauth's own pages of a provider log-in (the confirmation page when opened by GET).
_SSO_PATH_PREFIXES = ("/accounts/oidc/", "/accounts/saml/")


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
