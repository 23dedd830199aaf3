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
