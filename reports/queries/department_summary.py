"""The department summary (所属別の受講状況): each department's counts of one cycle on a day, with
its sub-departments rolled up (reports/views/department_summary.py, the dashboard's bars)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from training.models import Assignment, TrainingCycle
from training.status import status_counts

from ..exports import Column, Kind
from .common import DepartmentIndex, DepartmentNode, names_day, with_department_on


@dataclass
class Counts:
    total: int = 0  # 対象者数 (assigned by the day, not withdrawn, not exempted)
    completed: int = 0
    overdue: int = 0
    in_progress: int = 0
    awaiting: int = 0  # 誓約待ち: every required chapter passed, not attested
    exempt: int = 0  # 免除: outside the total (decision 0030)

    @property
    def not_started(self) -> int:
        return self.total - self.completed - self.overdue - self.in_progress - self.awaiting

    @property
    def rate(self) -> float | None:
        """修了率 in percent, one decimal; None when nobody is assigned."""
        return round(100 * self.completed / self.total, 1) if self.total else None

    def add(self, other: Counts) -> None:
        self.total += other.total
        self.completed += other.completed
        self.overdue += other.overdue
        self.in_progress += other.in_progress
        self.awaiting += other.awaiting
        self.exempt += other.exempt


@dataclass
class SummaryRow:
    department: DepartmentNode
    counts: Counts  # the department and every department below it
    own: Counts  # people directly in the department

    # Flat accessors for table columns, sorting and exports.
    @property
    def code(self) -> str:
        return self.department.code

    @property
    def name(self) -> str:
        return self.department.name

    @property
    def total(self) -> int:
        return self.counts.total

    @property
    def completed(self) -> int:
        return self.counts.completed

    @property
    def rate(self) -> float | None:
        return self.counts.rate

    @property
    def overdue(self) -> int:
        return self.counts.overdue

    @property
    def in_progress(self) -> int:
        return self.counts.in_progress

    @property
    def not_started(self) -> int:
        return self.counts.not_started

    @property
    def awaiting(self) -> int:
        return self.counts.awaiting

    @property
    def exempt(self) -> int:
        return self.counts.exempt


@dataclass
class DepartmentSummary:
    cycle: TrainingCycle
    as_of: datetime.date
    rows: list[SummaryRow]
    total: Counts


SUMMARY_ORDERINGS = {
    "code": lambda row: row.department.code,
    "total": lambda row: row.total,
    "completed": lambda row: row.completed,
    "rate": lambda row: -1 if row.rate is None else row.rate,
    "overdue": lambda row: row.overdue,
}


def _counts_by_department(*, cycle: TrainingCycle, as_of: datetime.date) -> dict[int, Counts]:
    """One grouped query: per department on `as_of`, the cycle's assignees and their statuses."""
    rows = (
        with_department_on(Assignment.objects.filter(cycle=cycle, assigned_on__lte=as_of), as_of)
        .values("department_at")
        .annotate(**status_counts(as_of))
        .order_by()
    )
    return {
        row["department_at"]: Counts(
            row["n_total"],
            row["n_completed"],
            row["n_overdue"],
            row["n_in_progress"],
            row["n_awaiting"],
            row["n_exempt"],
        )
        for row in rows
    }


def department_summary(
    *,
    cycle: TrainingCycle,
    as_of: datetime.date,
    departments: DepartmentIndex,
    max_depth: int | None = None,
    ordering: str = "code",
) -> DepartmentSummary:
    """対象者数・修了者数・修了率・期限超過 per department with its sub-departments rolled up, as of a
    day. One query (plus the department index the caller loaded once)."""
    departments = departments.as_of(names_day(cycle, as_of))
    direct = _counts_by_department(cycle=cycle, as_of=as_of)
    rolled: dict[int, Counts] = defaultdict(Counts)
    total = Counts()
    for department_id, counts in direct.items():
        total.add(counts)
        node = departments.get(department_id)
        for ancestor in node.ancestor_ids if node else ():
            rolled[ancestor].add(counts)
    rows = [
        SummaryRow(node, rolled.get(node.pk, Counts()), direct.get(node.pk, Counts()))
        for node in departments.nodes
        if max_depth is None or node.depth <= max_depth
    ]
    key = ordering.lstrip("-")
    if key in SUMMARY_ORDERINGS and key != "code":
        rows.sort(key=SUMMARY_ORDERINGS[key], reverse=ordering.startswith("-"))
    elif ordering == "-code":
        rows.reverse()
    return DepartmentSummary(cycle=cycle, as_of=as_of, rows=rows, total=total)


SUMMARY_COLUMNS = (
    Column(_("所属コード"), Kind.CODE),
    Column(_("所属名"), Kind.TEXT, width=30),
    Column(_("階層"), Kind.NUMBER, width=6),
    Column(_("対象者数"), Kind.NUMBER),
    Column(_("修了者数"), Kind.NUMBER),
    Column(_("修了率（%）"), Kind.NUMBER),
    Column(_("期限超過"), Kind.NUMBER),
    Column(_("受講中"), Kind.NUMBER),
    Column(_("未受講"), Kind.NUMBER),
    Column(_("誓約待ち"), Kind.NUMBER),
    Column(_("免除"), Kind.NUMBER),
)


def summary_export_rows(summary: DepartmentSummary) -> list[tuple]:
    """The summary as export rows, the municipality's total last (at most a few hundred rows)."""
    rows = [
        (
            row.code,
            row.department.indented_name,
            row.department.depth,
            row.total,
            row.completed,
            row.rate,
            row.overdue,
            row.in_progress,
            row.not_started,
            row.awaiting,
            row.exempt,
        )
        for row in summary.rows
    ]
    t = summary.total
    rows.append(
        (
            None,
            str(_("合計")),
            None,
            t.total,
            t.completed,
            t.rate,
            t.overdue,
            t.in_progress,
            t.not_started,
            t.awaiting,
            t.exempt,
        )
    )
    return rows
