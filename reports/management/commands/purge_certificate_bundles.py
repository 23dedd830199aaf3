"""`manage.py purge_certificate_bundles [--days 30]`: delete certificate ZIPs (rows and files) done
or failed more than that many days ago; they hold personal data (decision 0014). Run it daily
from cron beside send_reminders."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from reports.services import bundles_purge


class Command(BaseCommand):
    help = "Delete certificate ZIPs finished or failed more than --days days ago (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="keep bundles younger than this (default 30)")

    def handle(self, *args, days: int, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more")
        deleted = bundles_purge(older_than=datetime.timedelta(days=days))
        self.stdout.write(f"Deleted {deleted} certificate bundle(s) finished more than {days} day(s) ago.")
