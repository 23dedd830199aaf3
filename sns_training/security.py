"""Content-Security-Policy with a per-request nonce, and Permissions-Policy, on every response
(docs/decisions/0017). Wired first in settings.MIDDLEWARE so even error pages carry them.

The nonce lives in a context variable as well as on the request, because the inline scripts that
need it (Wagtail's date, chooser and inline-panel widgets) are rendered by form widgets, which
see no request: `{% csp_nonce %}` (sns_training.templatetags.csp) and `csp_nonce()` read it.
"""

from __future__ import annotations

import contextvars
import secrets

from django.conf import settings

_nonce: contextvars.ContextVar[str] = contextvars.ContextVar("csp_nonce", default="")


def csp_nonce() -> str:
    """The nonce of the request being answered ("" outside a request)."""
    return _nonce.get()


def build_policy(directives: dict[str, list[str]], nonce: str) -> str:
    return "; ".join(
        " ".join([name, *(source.replace("{nonce}", nonce) for source in sources)])
        for name, sources in directives.items()
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = settings.CSP_ADMIN_PATH_PREFIX

    def __call__(self, request):
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce
        token = _nonce.set(nonce)
        try:
            response = self.get_response(request)
        finally:
            _nonce.reset(token)
        if request.path.startswith(self.admin_prefix):
            directives = settings.CONTENT_SECURITY_POLICY_ADMIN
        else:
            directives = settings.CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", build_policy(directives, nonce))
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def nonce_wagtail_choosers() -> None:
    """Wagtail's chooser widgets (page, snippet, image choosers) write their init script inline from
    Python (wagtail.admin.widgets.chooser.BaseChooser.render), where no template can add the nonce:
    the same render, with it. Called from SnsTrainingConfig.ready()."""
    from django.utils.safestring import mark_safe
    from wagtail.admin.widgets.chooser import BaseChooser

    def render(self, name, value, attrs=None, renderer=None):
        try:
            id_ = attrs["id"]
        except (KeyError, TypeError) as e:
            raise TypeError("BaseChooser cannot be rendered without an 'id' attribute") from e
        value_data = self.get_value_data(value)
        widget_html = self.render_html(name, value_data, attrs)
        js = self.render_js_init(id_, name, value_data)
        return mark_safe(f'{widget_html}<script nonce="{csp_nonce()}">{js}</script>')  # noqa: S308 - as Wagtail's

    BaseChooser.render = render
