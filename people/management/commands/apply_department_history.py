"""`manage.py apply_department_history`: department changes recorded for a future day (a rename or a
merge dated 4月1日, prepared in March) take effect when that day comes. Cron runs it daily just
after midnight (docs/decisions/0039); people.services.department_changes_apply does the work."""

from django.core.management.base import BaseCommand

from people.models import Municipality
from people.services import department_changes_apply


class Command(BaseCommand):
    help = "Apply department renames and merges whose effective day has come (idempotent; run daily)."

    def handle(self, *args, **options):
        for municipality in Municipality.objects.order_by("code"):
            result = department_changes_apply(municipality=municipality)
            self.stdout.write(f"{municipality.code}: renamed={result['renamed']} moved={result['moved']}")
