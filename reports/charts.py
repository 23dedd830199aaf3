"""The HR dashboard's two charts, drawn on the server as inline SVG (no JavaScript chart library):
completion by department (bars, one per 部 with its sub-departments rolled up) and completion over
the cycle (cumulative line, on the frame of training/charts.py). Each comes with the same figures as
a table for screen readers. Built by reports/views/dashboard.py."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from training.charts import CycleChart, cumulative_completions, month_day

from .queries.department_summary import DepartmentSummary


@dataclass
class Bar:
    label: str
    code: str
    total: int
    completed: int
    rate: float | None
    y: float = 0
    width: float = 0
    center_y: float = 0  # where the name and the percentage are written
    value_x: float = 0

    @property
    def rate_label(self) -> str:
        return "—" if self.rate is None else f"{self.rate:g}%"


@dataclass
class BarChart:
    rows: list[Bar]
    width: int = 640
    left: int = 180  # room for the department names
    right: int = 64  # room for the percentage after each bar
    top: int = 8
    row_height: int = 28
    bar_height: int = 18
    summary: str = ""

    @property
    def height(self) -> int:
        return self.top * 2 + self.row_height * max(len(self.rows), 1) + 20

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_bottom(self) -> int:
        return self.top + self.row_height * max(len(self.rows), 1)

    @property
    def ticks(self) -> list[tuple[float, str]]:
        return [(round(self.left + self.plot_width * p / 100, 1), f"{p}%") for p in (0, 50, 100)]


def bar_chart(summary: DepartmentSummary) -> BarChart:
    """One bar per top-level department (部), its length the 修了率 of the 部 and everything below."""
    chart = BarChart(rows=[])
    for index, row in enumerate(r for r in summary.rows if r.department.depth == 1):
        bar = Bar(row.department.name, row.department.code, row.total, row.completed, row.rate)
        bar.y = chart.top + index * chart.row_height + (chart.row_height - chart.bar_height) / 2
        bar.width = round(chart.plot_width * (row.rate or 0) / 100, 1)
        bar.center_y = round(bar.y + chart.bar_height / 2, 1)
        bar.value_x = round(chart.left + bar.width + 6, 1)
        chart.rows.append(bar)
    if chart.rows:
        best = max(chart.rows, key=lambda b: b.rate or 0)
        worst = min(chart.rows, key=lambda b: b.rate or 0)
        chart.summary = _(
            "所属別の修了率：最も高いのは%(best)s（%(best_rate)s）、最も低いのは%(worst)s（%(worst_rate)s）"
        ) % {
            "best": best.label,
            "best_rate": best.rate_label,
            "worst": worst.label,
            "worst_rate": worst.rate_label,
        }
    return chart


@dataclass
class LinePoint:
    day: datetime.date
    completed: int
    percent: float


@dataclass
class LineChart(CycleChart):
    """The training selectors' cycle chart in the dashboard's size, with a text-anchor for each
    date label and one table row a week."""

    width: int = 640
    height: int = 240
    left: int = 56
    right: int = 16
    top: int = 20
    bottom: int = 40
    x_labels: list[tuple[float, str, str]] = field(default_factory=list)  # x, text, text-anchor
    table: list[LinePoint] = field(default_factory=list)


def line_chart(
    *, cycle, as_of: datetime.date, per_day: dict[datetime.date, int], total: int, every_days: int = 7
) -> LineChart:
    """Cumulative completions from the cycle's opening to `as_of` (or its close), against the
    number assigned; the table holds one row a week and the last day."""
    chart = LineChart()
    x, y = chart.axes(cycle=cycle, total=total)
    end = min(as_of, cycle.closes_on)
    series = cumulative_completions(cycle=cycle, per_day=per_day, end=end)
    chart.points = " ".join(f"{x(day)},{y(cumulative)}" for day, cumulative in series)
    chart.table = [
        LinePoint(day, cumulative, round(100 * cumulative / total, 1) if total else 0)
        for day, cumulative in series
        if (day - cycle.opens_on).days % every_days == 0 or day == end
    ]
    chart.due_x = x(cycle.due_on)
    chart.y_ticks = [(y(0), "0")] + ([(y(total), _("%(n)s人") % {"n": total})] if total else [])
    chart.x_labels = [
        (x(cycle.opens_on), month_day(cycle.opens_on), "start"),
        (x(cycle.closes_on), month_day(cycle.closes_on), "end"),
    ]
    if chart.table:
        last = chart.table[-1]
        chart.summary = _("%(start)sから%(end)sまでに%(total)s人中%(n)s人が修了（%(percent)s%%）") % {
            "start": month_day(cycle.opens_on),
            "end": month_day(last.day),
            "total": total,
            "n": last.completed,
            "percent": f"{last.percent:g}",
        }
    else:
        chart.summary = _("%(start)sに始まります") % {"start": month_day(cycle.opens_on)}
    return chart
