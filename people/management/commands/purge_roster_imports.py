"""`manage.py purge_roster_imports [--days 90]`: the retention job for uploaded roster files. Cron
calls it once a day (docs/decisions/0012); people.services.roster_imports_purge does the work."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from people.services import PeopleError, roster_imports_purge

DEFAULT_DAYS = 90


class Command(BaseCommand):
    help = (
        "Delete uploaded roster files older than --days: committed imports keep their record without "
        "the file; dry runs never committed are deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"retention in days (default {DEFAULT_DAYS}, at least 1)"
        )

    def handle(self, *args, days, **options):
        try:
            result = roster_imports_purge(older_than=datetime.timedelta(days=days))
        except PeopleError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("%(days)s日より前の取込：ファイルを削除 %(purged)s 件、取り込まなかった確認結果を削除 %(deleted)s 件")
                % {"days": days, "purged": result.purged, "deleted": result.deleted}
            )
        )
