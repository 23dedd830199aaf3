"""Writes of the reports app: the audit entries for reading personal data (every report view, export
and certificate download is written to Wagtail's log, actions registered in reports/wagtail_hooks.py,
with who, what and how many), and the certificate ZIPs built in the background (decision 0014): HR
asks for a department's certificates of one 年度; a task (reports/tasks.py) renders them one PDF at
a time into a ZIP in the private storage while the bundle page shows how far it has got. A PDF costs
about 0.15 s of CPU, far too much to make hundreds inside a web request."""

from __future__ import annotations

import datetime
import logging

from django.core.files import File
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from people.models import Department, Municipality
from quizzes.models import CompletionRecord

from . import certificates, selectors
from .models import CertificateBundle
from .models import stall_cutoff as models_stall_cutoff

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 10  # PDFs between two updates of `done` (one cheap UPDATE each)


class ReportsError(Exception):
    """A request of the reports area that cannot be done, with a Japanese message for the user."""


def _clean(filters: dict) -> dict:
    return {key: value for key, value in filters.items() if value not in (None, "", [])}


def audit_export(
    *, user, municipality: Municipality, report: str, fmt: str, filters: dict, row_count: int, encoding: str = ""
) -> None:
    """Before the first byte of an export leaves: who exported which report of which
    municipality, with which filters, in which format, and how many rows."""
    data = {"report": report, "format": fmt, "filters": _clean(filters), "row_count": row_count}
    if encoding:
        data["encoding"] = encoding
    log(instance=municipality, action="reports.exported", user=user, data=data)


def audit_report_viewed(*, user, municipality: Municipality, report: str, filters: dict, row_count: int) -> None:
    """A report shown on screen: who, which report, filters and the number of rows matching."""
    log(
        instance=municipality,
        action="reports.viewed",
        user=user,
        data={"report": report, "filters": _clean(filters), "row_count": row_count},
    )


def audit_certificate_downloaded(*, user, record: CompletionRecord) -> None:
    """One certificate PDF downloaded, by its owner or by HR."""
    log(
        instance=record,
        action="reports.certificate_downloaded",
        user=user,
        data={"fiscal_year": record.fiscal_year, "staff_number": record.staff_number},
    )


def audit_certificates_zip_downloaded(
    *, user, municipality: Municipality, filters: dict, record_ids: list[int]
) -> None:
    """A department's certificates downloaded as one ZIP: one entry naming every record in it."""
    log(
        instance=municipality,
        action="reports.certificate_downloaded",
        user=user,
        data={"filters": _clean(filters), "row_count": len(record_ids), "records": record_ids},
    )


def audit_bundle_requested(*, user, bundle: CertificateBundle, requeued: bool = False) -> None:
    """A certificate ZIP asked for (or asked for again after it stalled): its filters and size."""
    data = {"filters": selectors.bundle_filters(bundle), "row_count": bundle.total}
    if requeued:
        data["requeued"] = True
    log(instance=bundle.municipality, action="reports.certificate_bundle_requested", user=user, data=data)


# --- Certificate ZIPs ------------------------------------------------------------------------------


@transaction.atomic
def certificate_bundle_request(
    *,
    user,
    department: Department | None,
    fiscal_year: int,
    include_subdepartments: bool,
    municipality: Municipality | None = None,
) -> CertificateBundle:
    """Ask for a department's certificates of one 年度 as a ZIP: counts the records, saves the
    bundle, logs the request and enqueues the build once this transaction commits. The same
    request still queued or running (and not stalled) is answered with that bundle instead of
    building twice.
    `department=None` is the whole `municipality` (「全所属」: every record of the 年度, whatever
    its 所属コード; the bundle stores no codes).
    A department or municipality outside HR's is 404; no records or too many is a ReportsError."""
    from .tasks import certificate_bundle_build

    if department is not None:
        municipality = department.municipality
    if municipality is None:
        raise Http404
    if not (user.is_authenticated and user.is_superuser):
        if municipality.pk != selectors.report_municipality(user=user).pk:
            raise Http404
    whole = department is None
    if whole:
        include_subdepartments = True
    existing = (
        CertificateBundle.objects.active()
        .filter(
            municipality=municipality,
            department=department,
            department_code="" if whole else department.code,
            fiscal_year=fiscal_year,
            include_subdepartments=include_subdepartments,
        )
        .first()
    )
    if existing is not None:
        return existing
    codes = (
        None
        if whole
        else selectors.department_codes(
            municipality=municipality, code=department.code, with_subdepartments=include_subdepartments
        )
    )
    records = selectors.department_records(municipality=municipality, fiscal_year=fiscal_year, codes=codes)
    summary = records.order_by().aggregate(count=Count("pk"), last=Max("pk"))
    if not summary["count"]:
        raise ReportsError(_("該当する修了記録はありません。"))
    if summary["count"] > selectors.bundle_max():
        raise ReportsError(
            _(
                "該当する修了記録が%(count)d件あり、一度に作成できる%(max)d件を超えています。"
                "「下位の所属を含める」を外すなどして、所属ごとに依頼してください。"
            )
            % {"count": summary["count"], "max": selectors.bundle_max()}
        )
    bundle = CertificateBundle.objects.create(
        municipality=municipality,
        department=department,
        department_code="" if whole else department.code,
        department_name=str(_("全所属")) if whole else department.name,
        department_codes=codes or [],
        fiscal_year=fiscal_year,
        include_subdepartments=include_subdepartments,
        last_record_id=summary["last"],
        requested_by=user,
        total=summary["count"],
    )
    audit_bundle_requested(user=user, bundle=bundle)
    transaction.on_commit(lambda: certificate_bundle_build.enqueue(bundle_id=bundle.pk))
    return bundle


@transaction.atomic
def certificate_bundle_requeue(*, user, bundle: CertificateBundle) -> CertificateBundle:
    """Build a stalled bundle again (its worker died, decision 0014): back to queued, keeping the
    PDFs already written (the new run resumes after them, decision 0034), a new task enqueued on
    commit, the request logged again. A build of the same request already
    under way is answered with that bundle; a bundle that is not stalled is a ReportsError."""
    from .tasks import certificate_bundle_build

    locked = CertificateBundle.objects.visible_to(user).select_for_update().filter(pk=bundle.pk).first()
    if locked is None:
        raise Http404
    if not locked.is_stalled:
        raise ReportsError(_("この修了証のZIPは作成が止まっていないため、作り直す必要はありません。"))
    other = (
        CertificateBundle.objects.active()
        .filter(
            municipality_id=locked.municipality_id,
            department_id=locked.department_id,
            fiscal_year=locked.fiscal_year,
            include_subdepartments=locked.include_subdepartments,
        )
        .exclude(pk=locked.pk)
        .first()
    )
    if other is not None:
        return other
    now = timezone.now()
    locked.status = CertificateBundle.Status.QUEUED
    locked.started_at = None  # the dead run's writes stop matching its claim
    locked.progress_at = now
    locked.error = ""
    locked.save(update_fields=["status", "started_at", "progress_at", "error"])
    audit_bundle_requested(user=user, bundle=locked, requeued=True)
    transaction.on_commit(lambda: certificate_bundle_build.enqueue(bundle_id=locked.pk))
    return locked


def bundles_purge(*, older_than: datetime.timedelta) -> int:
    """Delete bundles done or failed more than `older_than` ago, their ZIP first (personal data is
    kept no longer than needed, decision 0014); returns how many. Bundles still in progress or
    stalled are left alone. Each bundle goes in its own short transaction, so a file whose row
    is gone never stays behind a failure and a purge never holds locks for long."""
    cutoff = timezone.now() - older_than
    deleted = 0
    for pk in list(CertificateBundle.objects.finished_before(cutoff).values_list("pk", flat=True)):
        with transaction.atomic():
            bundle = CertificateBundle.objects.finished_before(cutoff).select_for_update().filter(pk=pk).first()
            if bundle is None:
                continue
            if bundle.file:
                bundle.file.storage.delete(bundle.file.name)
            _work_delete(bundle)
            bundle.delete()
            deleted += 1
    return deleted


class _Superseded(Exception):
    """This run's claim is gone: the bundle was requeued after it looked stalled."""


def _work_dir(bundle: CertificateBundle) -> str:
    """Where a build keeps the PDFs it has rendered (private storage), until the ZIP is stored."""
    return f"certificate-bundles/work/{bundle.pk}"


def _work_name(bundle: CertificateBundle, record_id: int) -> str:
    return f"{_work_dir(bundle)}/{record_id}.pdf"


def _work_delete(bundle: CertificateBundle) -> None:
    storage = bundle.file.storage
    try:
        _dirs, files = storage.listdir(_work_dir(bundle))
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{_work_dir(bundle)}/{name}")


def certificate_bundle_build(*, bundle_id: int, takeover: bool = False) -> dict:
    """The task's work: claim a bundle queued, or running but stalled (its worker died and the task
    runs again, decision 0034), render each certificate not yet written, in record id order, into
    the private storage's work area, then put them in one ZIP, store it and mark the bundle done.
    After every PDF one UPDATE records it (`done`, `written_through`) and moves the heartbeat
    (`progress_at`), outside any transaction: the page sees progress, a build killed at any point
    resumes after the last PDF it wrote, and one not moving for a minute shows as stalled. Every
    write is tied to this run's claim (`started_at`): a run whose bundle was taken over stops.
    `takeover`: this is the task run again by the worker (the previous run's worker died or lost
    the database), so a bundle still marked running is claimed without waiting for the stall time.
    Any other error marks the bundle failed with a message for HR (the details go to the log) and
    is re-raised for the task backend to record; a database error is left to the worker to retry."""
    from django.core.files.base import ContentFile
    from django.db import InterfaceError, OperationalError
    from django.db.models import Q

    claimed_at = timezone.now()
    Status = CertificateBundle.Status
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, progress_at__lt=models_stall_cutoff())
    if takeover:
        claimable |= Q(status=Status.RUNNING)
    claimed = CertificateBundle.objects.filter(claimable, pk=bundle_id).update(
        status=Status.RUNNING, started_at=claimed_at, progress_at=claimed_at
    )
    if not claimed:
        return {"bundle": bundle_id, "built": False}
    bundle = CertificateBundle.objects.select_related("municipality").get(pk=bundle_id)
    mine = CertificateBundle.objects.filter(pk=bundle_id, status=Status.RUNNING, started_at=claimed_at)
    storage = bundle.file.storage
    resumed_from = bundle.done if bundle.written_through else 0
    if resumed_from:
        logger.warning(
            "Certificate bundle %s resumes after record %s (%s PDFs written)",
            bundle_id,
            bundle.written_through,
            resumed_from,
        )
    written = resumed_from
    stored = ""
    try:
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        records = selectors.bundle_records(bundle).order_by("pk")
        for record in records.filter(pk__gt=bundle.written_through).iterator(chunk_size=200):
            name = _work_name(bundle, record.pk)
            if storage.exists(name):  # left half-written by a run killed while saving it
                storage.delete(name)
            storage.save(name, ContentFile(certificates.certificate_pdf(record, font_config=font_config)))
            written += 1
            if not mine.update(done=written, written_through=record.pk, progress_at=timezone.now()):
                raise _Superseded

        def read_pdf(record) -> bytes:
            with storage.open(_work_name(bundle, record.pk), "rb") as handle:
                return handle.read()

        def beat(count: int) -> None:
            if count % (PROGRESS_EVERY * 10) == 0 and not mine.update(progress_at=timezone.now()):
                raise _Superseded

        archive = certificates.certificates_zip(records.iterator(chunk_size=200), progress=beat, pdf_of=read_pdf)
        with archive:
            size = archive.seek(0, 2)
            archive.seek(0)
            bundle.file.save("certificates.zip", File(archive), save=False)
            stored = bundle.file.name
        now = timezone.now()
        if not mine.update(status=Status.DONE, done=written, file=stored, size=size, finished_at=now, progress_at=now):
            raise _Superseded
        _work_delete(bundle)
    except _Superseded:
        logger.warning("Certificate bundle %s was taken over while this run built it; stopped", bundle_id)
        if stored:
            bundle.file.storage.delete(stored)
        return {"bundle": bundle_id, "built": False, "superseded": True}
    except (OperationalError, InterfaceError):
        # The database went away: the worker runs the task again (bounded), which resumes here.
        if stored:
            bundle.file.storage.delete(stored)
        raise
    except Exception as exc:
        logger.exception("Certificate bundle %s failed", bundle_id)
        if stored:
            bundle.file.storage.delete(stored)
        now = timezone.now()
        mine.update(
            status=Status.FAILED,
            done=written,
            file="",
            error=_failure_message(exc),
            finished_at=now,
            progress_at=now,
        )
        _work_delete(bundle)
        raise
    return {"bundle": bundle_id, "built": True, "pdfs": written, "bytes": size, "resumed_from": resumed_from}


def _failure_message(exc: Exception) -> str:
    """What HR reads on the bundle page, in Japanese whatever language the worker runs in."""
    with translation.override("ja"):
        return _(
            "修了証のZIPを作成できませんでした（%(error)s）。"
            "もう一度依頼しても同じ場合は、システム管理者に連絡してください。"
        ) % {"error": type(exc).__name__}
