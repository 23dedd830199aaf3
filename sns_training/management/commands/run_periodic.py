"""`manage.py run_periodic <job> [args…]`: run one periodic job of sns_training/periodic.py JOBS
and record its start, end and outcome, so `check_periodic_jobs` can tell when it stops running.
deploy/crontab calls every periodic job through this. A failed job exits non-zero, as it would alone."""

import argparse
import traceback

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sns_training import periodic


class Command(BaseCommand):
    help = "Run a periodic job and record the run (see deploy/crontab)."

    def add_arguments(self, parser):
        parser.add_argument("job", help="one of: " + ", ".join(periodic.JOBS))
        parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the job's command")

    def handle(self, *args, job, **options):
        if job not in periodic.JOBS:
            raise CommandError(
                _("定期処理「%(job)s」はありません（%(jobs)s）。") % {"job": job, "jobs": "、".join(periodic.JOBS)}
            )
        row = periodic.run_started(job)
        try:
            call_command(job, *args, stdout=self.stdout, stderr=self.stderr)
        except BaseException as exc:
            periodic.run_finished(row, error="".join(traceback.format_exception(exc)))
            if isinstance(exc, CommandError | SystemExit | KeyboardInterrupt):
                raise
            raise CommandError(_("定期処理「%(job)s」が失敗しました: %(error)s") % {"job": job, "error": exc}) from exc
        periodic.run_finished(row)
