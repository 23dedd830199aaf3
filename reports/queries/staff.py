"""The staff report (職員別の受講状況): one row per assignment with the department and status on a
day, shown a page at a time and streamed as a 50,000-row export (reports/views/staff.py)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from people.models import Municipality
from quizzes.models import QuizAttempt
from sns_training.fiscal_year import day_end, day_start, fiscal_year_label
from training.models import Assignment, RevisionReview, TrainingCycle
from training.status import latest_review, review_text, status_on

from ..exports import Column, Kind
from .common import EMPLOYMENT_LABELS, STATUS_LABELS, DepartmentIndex, LocalDateTime, Status, with_department_on


@dataclass(frozen=True)
class StaffFilter:
    """What the staff report is filtered by (already parsed and scoped by the view)."""

    cycle_ids: tuple[int, ...]
    as_of: datetime.date
    department_ids: tuple[int, ...] | None = None  # the chosen department's subtree
    employment_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    completed_from: datetime.date | None = None
    completed_to: datetime.date | None = None
    version_id: int | None = None  # attested version (第N版): the completion or a confirmed 改正点の確認


def _attempt_count(end: datetime.datetime):
    """Graded quiz attempts on the cycle's guideline within the cycle, up to `end`."""
    attempts = (
        QuizAttempt.objects.filter(
            staff_id=OuterRef("staff_id"),
            guideline_id=OuterRef("cycle__guideline_id"),
            state=QuizAttempt.State.GRADED,
            submitted_at__date__gte=OuterRef("cycle__opens_on"),
            submitted_at__date__lte=OuterRef("cycle__closes_on"),
            submitted_at__lt=end,
        )
        .order_by()
        .values("staff_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(attempts, output_field=IntegerField()), Value(0))


STAFF_ORDERINGS = ("staff__staff_number", "staff__kana", "status_at", "completed_at", "due_on")


def staff_assignments(
    *, municipality: Municipality, selection: StaffFilter, ordering: str | None = None
) -> QuerySet[Assignment]:
    """One row per assignment of the chosen cycles, with the department and status on the day
    and the attempts made: annotations and subqueries, no query per row."""
    day = selection.as_of
    end = day_end(day)
    # Scoped by the person's municipality (the view offers only the municipality's cycles): the
    # planner then estimates the rows right and hashes the joins.
    queryset = with_department_on(
        Assignment.objects.filter(
            staff__municipality=municipality, cycle_id__in=selection.cycle_ids, assigned_on__lte=day
        ),
        day,
    ).annotate(status_at=status_on(day))
    if selection.department_ids is not None:
        queryset = queryset.filter(department_at__in=selection.department_ids)
    if selection.employment_types:
        queryset = queryset.filter(staff__employment_type__in=selection.employment_types)
    if selection.statuses:
        queryset = queryset.filter(status_at__in=selection.statuses)
    if selection.completed_from or selection.completed_to:
        queryset = queryset.filter(completed_at__lt=end)
        if selection.completed_from:
            queryset = queryset.filter(completed_at__gte=day_start(selection.completed_from))
        if selection.completed_to:
            queryset = queryset.filter(completed_at__lt=day_end(selection.completed_to))
    if selection.version_id:
        confirmed = RevisionReview.objects.filter(
            staff_id=OuterRef("staff_id"),
            cycle_id=OuterRef("cycle_id"),
            version_id=selection.version_id,
            confirmed_at__lt=end,
        )
        queryset = queryset.filter(
            (Q(completion__version_id=selection.version_id) & Q(completed_at__lt=end)) | Q(Exists(confirmed))
        )
    queryset = queryset.annotate(attempts=_attempt_count(end), **latest_review(day))
    order = ordering if ordering and ordering.lstrip("-") in STAFF_ORDERINGS else "staff__staff_number"
    return queryset.order_by(order, "cycle__fiscal_year", "pk")


STAFF_FIELDS = (
    "pk",
    "cycle_id",
    "staff_id",
    "staff__staff_number",
    "staff__name",
    "department_at",
    "staff__employment_type",
    "status_at",
    "due_on",
    "completed_at",
    "completion__first_try_correct",
    "completion__first_try_total",
    "attempts",
    "completion__guideline_version",
    "review_version",
    "review_status",
)


@dataclass
class StaffRow:
    """One row of the staff report as shown and exported."""

    pk: int
    staff_id: int
    fiscal_year: str
    guideline: str
    staff_number: str
    name: str
    department_code: str
    department_name: str
    employment_type: str
    status: str
    status_label: str
    due_on: datetime.date
    completed_at: datetime.datetime | None
    score: int | None
    attempts: int
    version: str
    review: str | None = None

    def as_tuple(self) -> tuple:
        """The export row (an empty cell is None, so XLSX leaves it blank)."""
        return (
            self.fiscal_year,
            self.guideline,
            self.staff_number,
            self.name,
            self.department_code or None,
            self.department_name or None,
            self.employment_type,
            self.status_label,
            self.due_on,
            self.completed_at,
            self.score,
            self.attempts,
            self.version or None,
            self.review,
        )


STAFF_COLUMNS = (
    Column(_("年度"), Kind.TEXT, width=12),
    Column(_("ガイドライン"), Kind.TEXT, width=30),
    Column(_("職員番号"), Kind.CODE),
    Column(_("氏名"), Kind.TEXT, width=16),
    Column(_("所属コード"), Kind.CODE),
    Column(_("所属名"), Kind.TEXT),
    Column(_("任用形態"), Kind.TEXT, width=16),
    Column(_("状況"), Kind.TEXT, width=10),
    Column(_("受講期限"), Kind.DATE, wareki=True),
    Column(_("修了日時"), Kind.DATETIME, wareki=True),
    Column(_("得点（初回正答率%）"), Kind.NUMBER),
    Column(_("受験回数"), Kind.NUMBER),
    Column(_("誓約した版"), Kind.TEXT, width=16),
    Column(_("改正点の確認"), Kind.TEXT, width=24),
)


class StaffRowMaker:
    """Turns STAFF_FIELDS value tuples into StaffRows with names from the department index and the
    cycles already loaded (no query)."""

    def __init__(self, *, cycles: Iterable[TrainingCycle], departments: DepartmentIndex):
        self.cycles = {
            c.pk: (fiscal_year_label(c.fiscal_year), c.guideline.title if c.guideline_id else "") for c in cycles
        }
        self.departments = departments
        self.status_labels = {key: str(label) for key, label in STATUS_LABELS.items()}
        self.employment_labels = {key: str(label) for key, label in EMPLOYMENT_LABELS.items()}

    def __call__(self, values: tuple) -> StaffRow:
        (pk, cycle_id, staff_id, number, name, department_id, employment, status, due_on, completed_at,
         correct, total, attempts, version, review_version, review_status) = values  # fmt: skip
        year, guideline = self.cycles.get(cycle_id, ("", ""))
        department = self.departments.get(department_id)
        completed = status == Status.COMPLETED
        return StaffRow(
            pk=pk,
            staff_id=staff_id,
            fiscal_year=year,
            guideline=guideline,
            staff_number=number,
            name=name,
            department_code=department.code if department else "",
            department_name=department.name if department else "",
            employment_type=self.employment_labels.get(employment, employment),
            status=status,
            status_label=self.status_labels.get(status, status),
            due_on=due_on,
            completed_at=completed_at if completed else None,
            score=round(100 * correct / total) if completed and total else None,
            attempts=attempts or 0,
            version=(version or "") if completed else "",
            review=str(review_text(review_version, review_status) or "") or None,
        )

    def rows(self, queryset: QuerySet[Assignment]) -> list[StaffRow]:
        return [self(values) for values in queryset.values_list(*STAFF_FIELDS)]

    def export_tuple(self, values: tuple) -> tuple:
        """The export row straight from the values (as `self(values).as_tuple()`, without the
        StaffRow in between: this runs 50,000 times for a large download)."""
        (_pk, cycle_id, _staff_id, number, name, department_id, employment, status, due_on, completed_at,
         correct, total, attempts, version, review_version, review_status) = values  # fmt: skip
        year, guideline = self.cycles.get(cycle_id, ("", ""))
        department = self.departments.by_id.get(department_id)
        completed = status == Status.COMPLETED.value
        return (
            year,
            guideline,
            number,
            name,
            department.code if department else None,
            department.name if department else None,
            self.employment_labels.get(employment, employment),
            self.status_labels.get(status, status),
            due_on,
            completed_at if completed else None,
            round(100 * correct / total) if completed and total else None,
            attempts or 0,
            (version or None) if completed else None,
            str(review_text(review_version, review_status) or "") or None,
        )


def staff_export(queryset: QuerySet[Assignment], maker: StaffRowMaker) -> tuple[int, Iterator[tuple]]:
    """(row count, rows) of the staff export: the count and the highest id come from one query and
    the rows are bounded by that id, so the audit entry written before streaming names the rows
    sent (an assignment added meanwhile is not sent); rows stream from a server-side cursor."""
    summary = queryset.aggregate(count=Count("pk"), last=Max("pk"))
    if not summary["count"]:
        return 0, iter(())
    fields = [name if name != "completed_at" else "completed_local" for name in STAFF_FIELDS]
    values = (
        queryset.filter(pk__lte=summary["last"])
        .annotate(completed_local=LocalDateTime("completed_at"))
        .values_list(*fields)
        .iterator(chunk_size=2000)
    )
    return summary["count"], map(maker.export_tuple, values)
