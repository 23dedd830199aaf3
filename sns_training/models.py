"""Platform-level records: the last run of each periodic job (sns_training/periodic.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
