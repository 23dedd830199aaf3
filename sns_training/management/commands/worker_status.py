"""`manage.py worker_status`: background tasks ready, running (with the age of their lease) and
failed in the last day, naming those failed because their worker died (decision 0034). Exits 1
when a running task's lease has expired or a task failed by a lost lease in the last day."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sns_training.worker import worker_status


class Command(BaseCommand):
    help = "Show the background worker's tasks and any whose worker died"

    def handle(self, *args, **options):
        status = worker_status()
        self.stdout.write(f"ready: {status['ready']}")
        self.stdout.write(f"running: {len(status['running'])}")
        for row in status["running"]:
            age = "no lease" if row["lease_age"] is None else f"lease renewed {row['lease_age']:.0f} s ago"
            flag = " EXPIRED" if row["expired"] else ""
            self.stdout.write(
                f"  {row['id']} {row['task']} worker={row['worker']} attempt={row['attempts']} {age}{flag}"
            )
        self.stdout.write(f"failed in the last day: {status['failed_last_day']}")
        for row in status["lease_expired"]:
            self.stdout.write(f"  {row['id']} {row['task']} failed {row['finished_at']:%Y-%m-%d %H:%M:%S}: worker died")
        if status["lease_expired"] or any(row["expired"] for row in status["running"]):
            raise CommandError("background tasks lost their worker (see above)")
