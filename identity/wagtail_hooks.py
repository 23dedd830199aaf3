"""Wagtail wiring of the identity app (registration only): the platform admin's log-in, directory
and SSO settings, and HR's アクセス記録."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_urls
from .letters_admin import SetupLettersViewSet
from .selectors import VIEW_PERMISSION
from .sso_admin import SsoProviderViewSet
from .viewsets import DirectoryConfigViewSet, LoginPolicyViewSet


@hooks.register("register_admin_viewset")
def register_sso_provider_viewset():
    return SsoProviderViewSet("sso_providers")


@hooks.register("register_admin_urls")
def register_access_log_urls():
    return [path("access-log/", include(admin_urls, namespace="access_log"))]


class AccessLogMenuItem(MenuItem):
    """Shown to whoever may read the access log (HR through their role, platform admins)."""

    def is_shown(self, request):
        return request.user.has_perm(VIEW_PERMISSION)


@hooks.register("register_reports_menu_item")
def register_access_log_menu_item():
    return AccessLogMenuItem(_("アクセス記録"), reverse("access_log:index"), icon_name="history", order=50)


@hooks.register("register_admin_viewset")
def register_login_policy_viewset():
    return LoginPolicyViewSet("login-policies")


@hooks.register("register_admin_viewset")
def register_directory_config_viewset():
    return DirectoryConfigViewSet("directories")


@hooks.register("register_admin_viewset")
def register_setup_letters_viewset():
    return SetupLettersViewSet()
