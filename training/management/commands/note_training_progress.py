"""`manage.py note_training_progress [--date YYYY-MM-DD]`: mark 誓約待ち (every required chapter
passed, not attested) for people whose chapters were passed before the stamp existed or without
grading (decision 0030). Run once after migrating training 0002, and after `load_demo`; running it
again stamps nobody twice."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from training.services import assignments_note_progress_all


class Command(BaseCommand):
    help = "Stamp chapters_passed_at (誓約待ち) on assignments whose every required chapter is passed."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default: today in Japan)")

    def handle(self, *args, date=None, **options):
        on = None
        if date:
            try:
                on = datetime.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        count = assignments_note_progress_all(on=on)
        self.stdout.write(f"{count} assignment(s) marked 誓約待ち")
