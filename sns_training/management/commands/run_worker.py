"""`manage.py run_worker`: django-tasks-db's db_worker with leases, bounded retries of tasks whose
worker died, and back-off instead of an exit on database errors (decision 0034). Same options."""

from __future__ import annotations

from django_tasks_db.management.commands import db_worker

from sns_training.worker import ResilientWorker


class Command(db_worker.Command):
    help = "Run the background worker (database backend) that survives database restarts and crashes"

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        import logging

        ours = logging.getLogger("sns_training.worker")
        ours.setLevel(logging.INFO if verbosity else logging.WARNING)
        if not ours.hasHandlers():
            ours.addHandler(logging.StreamHandler(self.stdout))

    def handle(self, *args, **options):
        original = db_worker.Worker
        db_worker.Worker = ResilientWorker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
