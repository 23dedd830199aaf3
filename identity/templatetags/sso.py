"""Template tags for the single-sign-on buttons (templates/identity/includes/sso_buttons.html)."""

from django import template
from django.urls import reverse

from identity import selectors
from identity.models import SsoProvider

register = template.Library()


@register.simple_tag
def sso_login_url(provider: SsoProvider) -> str:
    """allauth's log-in URL of one SsoProvider row (the buttons POST there)."""
    if provider.protocol == SsoProvider.Protocol.SAML:
        return reverse("saml_login", kwargs={"organization_slug": provider.slug})
    return reverse("openid_connect_login", kwargs={"provider_id": provider.slug})


@register.simple_tag(takes_context=True)
def sso_municipalities(context):
    """(municipality, enabled providers) pairs for a log-in page that lists every municipality's
    buttons; marks the request so its CSP lets the forms go on to the IdPs."""
    groups = selectors.sso_providers_by_municipality()
    request = context.get("request")
    if groups and request is not None:
        request.sso_form_action = True
    return groups


@register.simple_tag(takes_context=True)
def sso_mark_request(context) -> str:
    """Marks the request of a page that shows SSO buttons (identity.middleware)."""
    request = context.get("request")
    if request is not None:
        request.sso_form_action = True
    return ""
