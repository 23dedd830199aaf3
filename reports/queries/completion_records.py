"""The completion-records report (修了記録): the municipality's records, listed a page at a time and
streamed as an export (reports/views/completion_records.py)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.models import Municipality
from quizzes.models import CompletionRecord
from sns_training.fiscal_year import fiscal_year_label

from ..exports import Column, Kind


def completion_records(*, municipality: Municipality, fiscal_year: int | None = None) -> QuerySet[CompletionRecord]:
    """Every completion record of the municipality's staff (optionally one 年度), for HR."""
    records = CompletionRecord.objects.filter(staff__municipality=municipality)
    if fiscal_year:
        records = records.filter(fiscal_year=fiscal_year)
    return records.order_by("-fiscal_year", "department_code", "staff_number", "pk")


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
