"""Wagtail admin wiring of the platform (registration only): menus show no item that the
admin access table (sns_training/admin_access.py) would refuse to the user."""

from wagtail import hooks

from .admin_access import menu_items_allowed


@hooks.register("construct_main_menu")
def main_menu_scope(request, menu_items):
    menu_items[:] = menu_items_allowed(request, menu_items)


@hooks.register("construct_reports_menu")
def reports_menu_scope(request, menu_items):
    menu_items[:] = menu_items_allowed(request, menu_items)


@hooks.register("construct_settings_menu")
def settings_menu_scope(request, menu_items):
    menu_items[:] = menu_items_allowed(request, menu_items)


@hooks.register("register_log_actions")
def register_platform_log_actions(actions):
    from django.utils.translation import gettext_lazy as _

    actions.register_action(
        "sns_training.municipality_onboarded", _("自治体の追加"), _("自治体を追加し、初期設定をしました")
    )


@hooks.register("insert_global_admin_js")
def sidebar_search_named():
    """static/js/admin/landmarks.js: the sidebar's search form gets a name (decision 0046)."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html('<script src="{}"></script>', static("js/admin/landmarks.js"))
