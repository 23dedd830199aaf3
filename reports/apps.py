import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """HR reports, exports and certificates. Reads other apps' selectors; nothing imports it."""

    name = "reports"
    verbose_name = _("レポート")

    def ready(self):
        from . import checks  # noqa: F401 - registers the font check

        # WeasyPrint logs seven INFO lines per PDF ("Step 1 - Fetching…"); production logs INFO.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
