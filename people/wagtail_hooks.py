"""Wagtail admin wiring of the people app (registration only)."""

from wagtail import hooks

from .viewsets import MunicipalityViewSet


@hooks.register("register_admin_viewset")
def register_municipality_viewset():
    return MunicipalityViewSet("municipalities")
