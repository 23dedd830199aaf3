"""Reads for HR reports and certificates, always scoped to the viewer's municipality."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from people import scoping
from people.models import Department, Municipality
from quizzes.models import CompletionRecord

from .models import CertificateBundle, queue_stall_seconds, stall_seconds

REPORT_PERMISSION = "reports.view_reports"
QUESTION_PERMISSION = "quizzes.view_scenarioquestion"


def report_municipality(*, user, requested: str | None = None) -> Municipality:
    """The municipality whose records the viewer may read: HR their own, whatever they ask for;
    a platform admin the one asked for by slug (the first by code when none is asked).
    Anyone without the reports permission is refused."""
    if not user.is_authenticated or not user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    return _viewers_municipality(user=user, requested=requested)


def _viewers_municipality(*, user, requested: str | None) -> Municipality:
    """A platform admin's chosen municipality (by slug, else the first by code); anyone else's own."""
    viewer = scoping.viewer_of(user)
    if viewer.platform_admin:
        municipalities = Municipality.objects.order_by("code")
        chosen = municipalities.filter(slug=requested).first() if requested else None
        chosen = chosen or municipalities.first()
        if chosen is None:
            raise Http404
        return chosen
    if not viewer.has_staff:
        raise PermissionDenied
    return scoping.acting_staff(user).municipality


def item_analysis_municipality(*, user, requested: str | None = None) -> Municipality:
    """The item analysis is read by HR (reports permission) and by the editors and approvers who
    write the questions (question permission): each their own municipality's."""
    if user.is_authenticated and user.has_perm(REPORT_PERMISSION):
        return report_municipality(user=user, requested=requested)
    if user.is_authenticated and user.has_perm(QUESTION_PERMISSION):
        return _viewers_municipality(user=user, requested=requested)
    raise PermissionDenied


def record_for_hr(*, municipality: Municipality, pk: int) -> CompletionRecord:
    """One record of the municipality, or 404 (another municipality's id shows nothing)."""
    return get_object_or_404(CompletionRecord.objects.filter(staff__municipality=municipality), pk=pk)


def record_for_reports(*, user, pk: int) -> CompletionRecord:
    """A record for the reports area: HR only their municipality's (else 404), a platform admin any."""
    if user.is_authenticated and user.is_superuser:
        return get_object_or_404(CompletionRecord, pk=pk)
    return record_for_hr(municipality=report_municipality(user=user), pk=pk)


def normalise_code(code: str) -> str:
    """A verification code as typed: full-width digits, lower case, blanks and hyphens forgiven."""
    text = unicodedata.normalize("NFKC", code or "")
    return "".join(ch for ch in text if ch.isalnum()).upper()[:16]


def record_by_code(*, municipality: Municipality, code: str) -> CompletionRecord | None:
    """The municipality's record with that verification code; None for an unknown code and for
    another municipality's code alike, so the answer tells nothing about other municipalities."""
    code = normalise_code(code)
    if not code:
        return None
    return CompletionRecord.objects.filter(staff__municipality=municipality, verification_code=code).first()


def record_public(*, code: str) -> CompletionRecord | None:
    """The record with that verification code for the public verification page, with only the
    fields a certificate shows its reader (codes are unique across municipalities)."""
    code = normalise_code(code)
    if not code:
        return None
    return (
        CompletionRecord.objects.filter(verification_code=code)
        .only(
            "pk",
            "verification_code",
            "staff_name",
            "municipality_name",
            "guideline_title",
            "guideline_version",
            "fiscal_year",
            "completed_at",
            "attested_at",
        )
        .first()
    )


def department_choices(*, municipality: Municipality) -> list[tuple[str, str]]:
    """(所属コード, indented name) of the municipality's current departments, tree order."""
    departments = Department.objects.filter(municipality=municipality).only("code", "name", "depth", "path")
    rows = sorted(departments, key=lambda d: [int(part) for part in d.path.strip("/").split("/") if part])
    # Tree order by the ids in the path keeps 部 › 課 › 係 together.
    return [(d.code, f"{'　' * (d.depth - 1)}{d.name}（{d.code}）") for d in rows]


def department_codes(*, municipality: Municipality, code: str, with_subdepartments: bool) -> list[str]:
    """The 所属コード a department ZIP covers: the code itself, and with sub-departments every code
    below it in today's tree. Records are matched on the code they snapshot at completion."""
    department = get_object_or_404(Department.objects.filter(municipality=municipality), code=code)
    if not with_subdepartments:
        return [department.code]
    return list(Department.objects.subtree_of(department).values_list("code", flat=True))


def department_records(
    *, municipality: Municipality, fiscal_year: int, codes: list[str] | None
) -> QuerySet[CompletionRecord]:
    """The records of the 所属コード `codes`; `codes=None` is the whole municipality (「全所属」)."""
    records = CompletionRecord.objects.filter(staff__municipality=municipality, fiscal_year=fiscal_year)
    if codes is not None:
        records = records.filter(department_code__in=codes)
    return records.order_by("department_code", "staff_number", "pk")


# --- Certificate ZIPs (decision 0014) ------------------------------------------------------------

BUNDLE_MAX_DEFAULT = 20_000  # about 50 minutes of one worker's CPU and 0.5–1 GB of ZIP


def bundle_max() -> int:
    return getattr(settings, "REPORTS_CERTIFICATE_BUNDLE_MAX", BUNDLE_MAX_DEFAULT)


def bundle_for_user(*, user, pk: int) -> CertificateBundle:
    """A bundle the viewer may see (HR: their municipality's), or 404."""
    return get_object_or_404(CertificateBundle.objects.visible_to(user).select_related("municipality"), pk=pk)


def bundles_recent(*, municipality: Municipality, limit: int = 10) -> QuerySet[CertificateBundle]:
    """The municipality's latest requests, for the list under the request form."""
    return CertificateBundle.objects.filter(municipality=municipality).order_by("-requested_at", "-pk")[:limit]


def bundle_records(bundle: CertificateBundle) -> QuerySet[CompletionRecord]:
    """Exactly the records counted when the bundle was requested: the 所属コード fixed then, and no
    record newer than the highest id then (records are only ever added, never changed)."""
    return department_records(
        municipality=bundle.municipality,
        fiscal_year=bundle.fiscal_year,
        codes=bundle.department_codes or None,  # none: the whole municipality (「全所属」)
    ).filter(pk__lte=bundle.last_record_id)


def bundle_filters(bundle: CertificateBundle) -> dict:
    return {
        "bundle": bundle.pk,
        "department_code": bundle.department_code,
        "subdepartments": bundle.include_subdepartments,
        "fiscal_year": bundle.fiscal_year,
    }


def bundle_status(bundle: CertificateBundle) -> dict:
    """What the bundle page says about the build, and what its status endpoint answers the page's
    script with: one wording for both."""
    state = bundle.state
    values = {"done": bundle.done, "total": bundle.total, "percent": bundle.percent}
    if state == "queued":
        message = _("作成の順番を待っています。")
    elif state == "running":
        message = _("作成中です（%(done)s/%(total)s件）。") % values
    elif state == "stalled":
        message = _(
            "作成が止まっています（%(done)s/%(total)s件のまま%(minutes)s分以上進んでいません）。"
            "作成していた処理が中断されたようです。「もう一度作成する」で、作成済みの分の続きから作成します。"
        ) % {**values, "minutes": stall_minutes(queued=bundle.status == CertificateBundle.Status.QUEUED)}
    elif state == "done":
        message = _("完成しました。修了証%(done)s件をZIPでダウンロードできます。") % values
    else:
        message = _("作成できませんでした。")
    return {
        **values,
        "state": state,
        "message": message,
        "progress_label": _("%(done)s/%(total)s件（%(percent)s%%）") % values,
        "error": bundle.error if state == "failed" else "",
        "size": bundle.size if state == "done" else 0,
        "size_label": filesizeformat(bundle.size) if state == "done" else "",
    }


def stall_minutes(*, queued: bool = False) -> int:
    return max(1, (queue_stall_seconds() if queued else stall_seconds()) // 60)
