"""A department's certificates as one ZIP, built in the background (decision 0014)."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people import scoping
from people.models import Department, Municipality
from sns_training.fiscal_year import fiscal_year_label as _fiscal_year_label

REPORT_PERMISSION = "reports.view_reports"  # the same as reports.selectors.REPORT_PERMISSION
# A running build writes progress after every PDF (~0.15 s): a minute without it means its worker
# died (decision 0034). A queued bundle may wait behind other builds: 10 minutes.
STALL_SECONDS_DEFAULT = 60
QUEUE_STALL_SECONDS_DEFAULT = 600


def private_storage():
    """The storage of files with personal data (STORAGES["private"]): outside MEDIA_ROOT and never
    served by URL. A callable, so migrations name it instead of a path that differs per machine."""
    return storages["private"]


def stall_seconds() -> int:
    return getattr(settings, "CERTIFICATE_BUNDLE_STALL_SECONDS", STALL_SECONDS_DEFAULT)


def queue_stall_seconds() -> int:
    """How long a queued bundle may wait: CERTIFICATE_BUNDLE_QUEUE_STALL_SECONDS, by default the
    longer of 10 minutes and the running stall time."""
    return getattr(
        settings, "CERTIFICATE_BUNDLE_QUEUE_STALL_SECONDS", max(QUEUE_STALL_SECONDS_DEFAULT, stall_seconds())
    )


def stall_cutoff(*, queued: bool = False) -> datetime.datetime:
    """A bundle running (or queued) whose progress has not moved since this moment is taken as
    stalled (its worker died): CERTIFICATE_BUNDLE_STALL_SECONDS, one minute by default, for a
    running build; queue_stall_seconds() for one still waiting."""
    return timezone.now() - datetime.timedelta(seconds=queue_stall_seconds() if queued else stall_seconds())


def _stalled_q() -> models.Q:
    return models.Q(status=CertificateBundle.Status.RUNNING, progress_at__lt=stall_cutoff()) | models.Q(
        status=CertificateBundle.Status.QUEUED, progress_at__lt=stall_cutoff(queued=True)
    )


def bundle_upload_to(instance, filename: str) -> str:
    """A random name: the file holds personal data and its name must not be guessable or tell
    whose certificates it holds (the download goes through the scoped view, never MEDIA_URL)."""
    return f"certificate-bundles/{uuid.uuid4().hex}.zip"


class CertificateBundleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HR with the reports permission: their municipality's bundles; a platform admin: all."""
        return scoping.within_municipality(self, user, permission=REPORT_PERMISSION)

    def in_progress(self):
        """Queued or running, stalled or not."""
        return self.filter(status__in=(CertificateBundle.Status.QUEUED, CertificateBundle.Status.RUNNING))

    def active(self):
        """Still to be built or being built, with progress within the stall time."""
        return self.in_progress().exclude(_stalled_q())

    def stalled(self):
        """Queued or running, but nothing has moved for the stall time: the worker died or none runs."""
        return self.in_progress().filter(_stalled_q())

    def finished_before(self, moment: datetime.datetime):
        """Done or failed before `moment` (for the retention purge)."""
        return self.filter(
            status__in=(CertificateBundle.Status.DONE, CertificateBundle.Status.FAILED), finished_at__lt=moment
        )


class CertificateBundle(models.Model):
    """One request for a department's certificates of one 年度 as a ZIP. The records it covers are
    fixed when it is requested (the 所属コード then, and the highest record id then: records are
    only ever added), so `total` is exact and the audit entry can name them."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("作成待ち")
        RUNNING = "running", _("作成中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失敗")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="certificate_bundles", verbose_name=_("自治体")
    )
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("所属")
    )
    department_code = models.CharField(_("所属コード"), max_length=20)
    department_name = models.CharField(_("所属名"), max_length=100)
    department_codes = models.JSONField(_("対象の所属コード"), default=list)
    fiscal_year = models.PositiveIntegerField(_("年度"))
    include_subdepartments = models.BooleanField(_("下位の所属を含める"), default=True)
    last_record_id = models.PositiveBigIntegerField(_("対象の修了記録IDの上限"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("依頼した人")
    )
    requested_at = models.DateTimeField(_("依頼日時"), default=timezone.now, db_index=True)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("件数"), default=0)
    done = models.PositiveIntegerField(_("作成済みの件数"), default=0)
    file = models.FileField(
        _("ZIPファイル"), upload_to=bundle_upload_to, storage=private_storage, blank=True, max_length=200
    )
    size = models.PositiveBigIntegerField(_("ファイルサイズ"), default=0)
    error = models.TextField(_("エラー"), blank=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    # Moved on request, claim and every progress write: the heartbeat that tells a stalled build.
    progress_at = models.DateTimeField(_("進捗の更新日時"), default=timezone.now)
    # The highest record id whose PDF is stored in the work area: a build run again after its
    # worker died resumes after it (decision 0034). Records are rendered in id order.
    written_through = models.BigIntegerField(_("作成済みの最後の修了記録"), default=0, editable=False)

    objects = CertificateBundleQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        default_permissions = ()
        verbose_name = _("修了証のZIP")
        verbose_name_plural = _("修了証のZIP")

    def __str__(self):
        return f"{self.department_name}（{self.department_code}） {self.fiscal_year}"

    @property
    def is_in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_stalled(self) -> bool:
        return self.is_in_progress and self.progress_at < stall_cutoff(
            queued=self.status == CertificateBundle.Status.QUEUED
        )

    @property
    def is_active(self) -> bool:
        """Queued or running and not stalled: the page keeps watching it."""
        return self.is_in_progress and not self.is_stalled

    @property
    def state(self) -> str:
        """The status as the page shows it: "stalled" for a queued or running bundle that stopped."""
        return "stalled" if self.is_stalled else self.status

    @property
    def state_label(self) -> str:
        """The status in words, 停止 for a stalled build (the list of recent requests)."""
        return str(_("停止")) if self.is_stalled else self.get_status_display()

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    @property
    def fiscal_year_label(self) -> str:
        return _fiscal_year_label(self.fiscal_year)
