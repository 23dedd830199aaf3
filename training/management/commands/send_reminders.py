"""`manage.py send_reminders [--date YYYY-MM-DD]`: enqueue the daily reminder run. Cron calls it once
a day (docs/decisions/0011); the django-tasks worker runs it. Running it again the same day sends
nothing twice."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django_tasks import TaskResultStatus

from training.tasks import reminders_send


class Command(BaseCommand):
    help = "Enqueue the daily training reminders (reminders_send)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default: today in Japan)")

    def handle(self, *args, date=None, **options):
        if date:
            try:
                datetime.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        result = reminders_send.enqueue(on=date)
        if result.is_finished:
            # The immediate backend (development) ran it already.
            if result.status != TaskResultStatus.SUCCESSFUL:
                raise CommandError(f"reminders_send {result.id} failed: {result.errors[-1].traceback}")
            self.stdout.write(f"reminders_send {result.id}: {result.return_value}")
        else:
            self.stdout.write(f"reminders_send enqueued as {result.id} ({result.status})")
