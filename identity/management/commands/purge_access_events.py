"""`manage.py purge_access_events`: delete access-log entries past their municipality's retention
(LoginPolicy.access_log_retention_days; settings.IDENTITY_ACCESS_LOG_RETENTION_DAYS for entries of
no municipality). Run it daily from cron (README, production schedule); running it twice deletes
nothing more."""

from django.core.management.base import BaseCommand

from identity.services import access_events_purge


class Command(BaseCommand):
    help = "Delete access-log entries older than each municipality's retention period."

    def handle(self, *args, **options):
        total = 0
        for code, (days, deleted) in access_events_purge().items():
            total += deleted
            label = code or "(no municipality)"
            self.stdout.write(f"{label}: deleted {deleted} access event(s) older than {days} day(s).")
        self.stdout.write(f"Deleted {total} access event(s) in all.")
