"""The lease of a background task being run (manage.py run_worker, decision 0034)."""

from __future__ import annotations

from django.db import models


class TaskLease(models.Model):
    """One row per task a worker is running: written in the transaction that claims the task,
    renewed every WORKER_HEARTBEAT_SECONDS by the worker's heartbeat thread, deleted when the
    task's outcome is recorded. A lease not renewed for WORKER_LEASE_SECONDS belongs to a dead
    worker: the task is run again or, after WORKER_MAX_ATTEMPTS, marked failed."""

    task_id = models.UUIDField(primary_key=True)
    worker_id = models.CharField(max_length=64)
    # Which claim this is: a worker whose task was taken from it records nothing for it.
    token = models.UUIDField()
    claimed_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "task lease"

    def __str__(self):
        return f"{self.task_id} @ {self.worker_id}"
