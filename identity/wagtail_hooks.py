"""Wagtail admin wiring of the identity app (registration only)."""

from wagtail import hooks

from .letters_admin import SetupLettersViewSet


@hooks.register("register_admin_viewset")
def register_setup_letters_viewset():
    return SetupLettersViewSet()
