"""Reads for HR reports and certificates, always scoped to the viewer's municipality."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people import scoping
from people.models import Department, Municipality
from quizzes.models import CompletionRecord
from sns_training.fiscal_year import fiscal_year_label

from .exports import Column, Kind

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


def completion_records(*, municipality: Municipality, fiscal_year: int | None = None) -> QuerySet[CompletionRecord]:
    """Every completion record of the municipality's staff (optionally one 年度), for HR."""
    records = CompletionRecord.objects.filter(staff__municipality=municipality)
    if fiscal_year:
        records = records.filter(fiscal_year=fiscal_year)
    return records.order_by("-fiscal_year", "department_code", "staff_number", "pk")


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


def department_records(*, municipality: Municipality, fiscal_year: int, codes: list[str]) -> QuerySet[CompletionRecord]:
    return CompletionRecord.objects.filter(
        staff__municipality=municipality, fiscal_year=fiscal_year, department_code__in=codes
    ).order_by("department_code", "staff_number", "pk")


# --- The completion-records export ---------------------------------------------------------------

COMPLETION_COLUMNS = (
    Column(_("職員番号"), Kind.CODE),
    Column(_("氏名"), Kind.TEXT, width=16),
    Column(_("所属コード"), Kind.CODE),
    Column(_("所属名"), Kind.TEXT),
    Column(_("任用形態"), Kind.TEXT, width=16),
    Column(_("ガイドライン"), Kind.TEXT, width=40),
    Column(_("版"), Kind.TEXT, width=16),
    Column(_("年度"), Kind.TEXT, width=12),
    Column(_("修了日"), Kind.DATE, wareki=True),
    Column(_("誓約日時"), Kind.DATETIME, wareki=True),
    Column(_("確認コード"), Kind.CODE),
    Column(_("初回正答率（%）"), Kind.NUMBER),
)
_COMPLETION_FIELDS = (
    "staff_number",
    "staff_name",
    "department_code",
    "department_name",
    "employment_type_label",
    "guideline_title",
    "guideline_version",
    "fiscal_year",
    "completed_at",
    "attested_at",
    "verification_code",
    "first_try_correct",
    "first_try_total",
)


def completion_export(records: QuerySet[CompletionRecord]) -> tuple[int, Iterator[tuple]]:
    """(row count, rows) of the completion-records export. The count and the highest id are read
    in one query first and the rows are bounded by that id, so the audit entry written before
    streaming states exactly the rows sent: records are only ever added, never changed."""
    summary = records.order_by().aggregate(count=Count("pk"), last=Max("pk"))
    if not summary["count"]:
        return 0, iter(())
    values = records.filter(pk__lte=summary["last"]).values_list(*_COMPLETION_FIELDS).iterator(chunk_size=2000)
    labels: dict[int, str] = {}
    zone = timezone.get_current_timezone()

    def row(v):
        year = v[7]
        label = labels.get(year) or labels.setdefault(year, fiscal_year_label(year))
        correct, total = v[11], v[12]
        return (
            *v[:7],
            label,
            v[8].astimezone(zone).date(),
            v[9],
            v[10],
            round(100 * correct / total) if total else 0,  # as CompletionRecord.first_try_percent
        )

    return summary["count"], map(row, values)
