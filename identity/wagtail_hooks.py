"""Wagtail admin wiring of the identity app (registration only)."""

from wagtail import hooks

from .viewsets import DirectoryConfigViewSet, LoginPolicyViewSet


@hooks.register("register_admin_viewset")
def register_login_policy_viewset():
    return LoginPolicyViewSet("login-policies")


@hooks.register("register_admin_viewset")
def register_directory_config_viewset():
    return DirectoryConfigViewSet("directories")
