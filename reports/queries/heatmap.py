"""The clause heat-map (条項別の誤答率): departments × clauses, the share of first answers that
missed (reports/views/heatmap.py)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from quizzes.models import ClauseProgress
from sns_training.fiscal_year import day_end
from training.models import Assignment, TrainingCycle
from training.status import active_at

from ..exports import Column, Kind
from .common import ClauseInfo, DepartmentIndex, DepartmentNode, guideline_clauses, names_day, with_department_on


@dataclass
class HeatCell:
    answered: int = 0
    missed: int = 0

    @property
    def share(self) -> float | None:
        """Share of first answers that missed the clause, in percent (one decimal)."""
        return round(100 * self.missed / self.answered, 1) if self.answered else None

    @property
    def level(self) -> int:
        """0–4 for the cell's colour (the number is always printed too)."""
        share = self.share
        if share is None:
            return -1
        for level, bound in enumerate((10, 25, 40, 60)):
            if share < bound:
                return level
        return 4


@dataclass
class HeatRow:
    clause: ClauseInfo
    cells: list[HeatCell]
    total: HeatCell
    # The municipality's staff on the same guideline the 年度 before: how the clause went then.
    previous: HeatCell = field(default_factory=HeatCell)

    @property
    def change(self) -> float | None:
        """Percentage points of first-try misses against the year before (negative: better)."""
        if self.total.share is None or self.previous.share is None:
            return None
        return round(self.total.share - self.previous.share, 1)


@dataclass
class Heatmap:
    guideline: object
    as_of: datetime.date
    depth: int
    departments: list[DepartmentNode]
    rows: list[HeatRow]
    total: HeatCell = field(default_factory=HeatCell)


def clause_heatmap(
    *, cycle: TrainingCycle, as_of: datetime.date, departments: DepartmentIndex, depth: int = 1
) -> Heatmap:
    """Departments (rolled up to `depth`, 部 by default) × clauses: of the cycle's assignees, the
    share whose first answer on the clause was wrong (ClauseProgress.first_attempt_missed),
    by the department each belonged to on `as_of`; beside it, each clause the 年度 before (mastery
    across years). Three queries: the counts, the chapters and last year's counts."""
    departments = departments.as_of(names_day(cycle, as_of))
    end = day_end(as_of)
    assignees = Assignment.objects.filter(cycle=cycle, assigned_on__lte=as_of).filter(active_at(end))
    progress = ClauseProgress.objects.of_year(cycle.fiscal_year).filter(
        guideline_id=cycle.guideline_id, staff_id__in=assignees.values("staff_id")
    )
    counts = (
        with_department_on(progress, as_of)
        .values("department_at", "clause_key")
        .annotate(answered=Count("pk"), missed=Count("pk", filter=Q(first_attempt_missed=True)))
        .order_by()
    )
    cells: dict[tuple[str, int], HeatCell] = defaultdict(HeatCell)
    totals: dict[str, HeatCell] = defaultdict(HeatCell)
    used_departments: set[int] = set()
    for row in counts:
        top = departments.at_depth(row["department_at"], depth)
        if top is None:
            continue
        used_departments.add(top)
        for cell in (cells[(row["clause_key"], top)], totals[row["clause_key"]]):
            cell.answered += row["answered"]
            cell.missed += row["missed"]
    columns = [node for node in departments.nodes if node.pk in used_departments]
    known = guideline_clauses(cycle.guideline)
    clauses = [clause for clause in known if clause.key in totals]
    listed = {clause.key for clause in known}
    # A clause answered earlier but no longer in the live text still shows, after the others.
    clauses += [ClauseInfo(key, key, "", "") for key in sorted(totals) if key not in listed]
    rows = [
        HeatRow(clause, [cells.get((clause.key, node.pk), HeatCell()) for node in columns], totals[clause.key])
        for clause in clauses
    ]
    previous = _previous_year(cycle)
    for row in rows:
        row.previous = previous.get(row.clause.key, HeatCell())
    grand = HeatCell()
    for cell in totals.values():
        grand.answered += cell.answered
        grand.missed += cell.missed
    return Heatmap(cycle.guideline, as_of, depth, columns, rows, grand)


def _previous_year(cycle: TrainingCycle) -> dict[str, HeatCell]:
    """Per clause, the first-try misses of the municipality's staff on the guideline the 年度
    before the cycle's (whoever was trained then: last year's record, not this year's audience)."""
    rows = (
        ClauseProgress.objects.of_year(cycle.fiscal_year - 1)
        .filter(guideline_id=cycle.guideline_id)
        .values("clause_key")
        .annotate(answered=Count("pk"), missed=Count("pk", filter=Q(first_attempt_missed=True)))
        .order_by()
    )
    return {row["clause_key"]: HeatCell(row["answered"], row["missed"]) for row in rows}


HEATMAP_COLUMNS = (
    Column(_("所属コード"), Kind.CODE),
    Column(_("所属名"), Kind.TEXT),
    Column(_("条項キー"), Kind.CODE),
    Column(_("条項番号"), Kind.TEXT, width=10),
    Column(_("見出し"), Kind.TEXT, width=30),
    Column(_("回答者数"), Kind.NUMBER),
    Column(_("初回誤答数"), Kind.NUMBER),
    Column(_("初回誤答率（%）"), Kind.NUMBER),
    Column(_("前年度の初回誤答率（%）"), Kind.NUMBER),
)


def heatmap_export_rows(heatmap: Heatmap) -> list[tuple]:
    """Long format (one row per department and clause, then the municipality's total per clause),
    so the file pivots in a spreadsheet without a column per department."""
    rows = []
    for row in heatmap.rows:
        for node, cell in zip(heatmap.departments, row.cells, strict=True):
            if cell.answered:
                c = row.clause
                rows.append(
                    (node.code, node.name, c.key, c.number, c.heading, cell.answered, cell.missed, cell.share, None)
                )
    for row in heatmap.rows:
        c, cell = row.clause, row.total
        rows.append(
            (
                None,
                str(_("合計")),
                c.key,
                c.number,
                c.heading,
                cell.answered,
                cell.missed,
                cell.share,
                row.previous.share,
            )
        )
    return rows
