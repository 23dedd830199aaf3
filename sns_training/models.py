"""Platform-level records: the lease of a background task being run (manage.py run_worker,
decision 0034) and the last run of each periodic job (sns_training/periodic.py, decision 0038)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class PeriodicJobRun(models.Model):
    """One row per periodic job, written by `manage.py run_periodic` around each run, read by
    `manage.py check_periodic_jobs` to say which job is late (decision 0038)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("実行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失敗")

    job = models.CharField(_("定期処理"), max_length=100, unique=True)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices)
    last_started_at = models.DateTimeField(_("最後に開始した日時"))
    last_finished_at = models.DateTimeField(_("最後に終了した日時"), null=True, blank=True)
    last_succeeded_at = models.DateTimeField(_("最後に成功した日時"), null=True, blank=True)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    runs = models.PositiveIntegerField(_("実行回数"), default=0)

    class Meta:
        verbose_name = _("定期処理の実行記録")
        verbose_name_plural = _("定期処理の実行記録")

    def __str__(self):
        return self.job
