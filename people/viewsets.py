"""Wagtail admin views of the people app (registered in people/wagtail_hooks.py)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet

from .models import Municipality


class MunicipalityViewSet(ModelViewSet):
    """Municipalities on the platform. Only the platform admin (superuser) holds these
    permissions; HR and editors never see this menu."""

    model = Municipality
    icon = "site"
    menu_label = _("自治体")
    add_to_admin_menu = True
    menu_order = 900
    form_fields = ["code", "name", "slug"]
    list_display = ["name", "code", "slug"]
    search_fields = ["name", "code"]
    copy_view_enabled = False
    inspect_view_enabled = False
