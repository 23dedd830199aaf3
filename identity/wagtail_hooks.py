"""Wagtail admin wiring of the identity app (registration only)."""

from wagtail import hooks

from .sso_admin import SsoProviderViewSet


@hooks.register("register_admin_viewset")
def register_sso_provider_viewset():
    return SsoProviderViewSet("sso_providers")
