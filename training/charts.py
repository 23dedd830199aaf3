"""Chart geometry of a training cycle, drawn on the server as inline SVG coordinates (no JavaScript
chart library): the cycle's cumulative completions on the 所属長's page (training/selectors.py), and
the frame HR's dashboard draws in its own size (reports/charts.py imports it; training imports
nothing from reports)."""

from __future__ import annotations

import datetime
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .models import TrainingCycle


@dataclass
class ChartPoint:
    day: datetime.date
    completed: int
    percent: int


@dataclass
class CycleChart:
    """A cycle's cumulative completions drawn server-side as SVG coordinates: the frame (size and
    margins, the 所属長's page's by default) and what the template draws. HR's dashboard
    (reports.charts.LineChart) draws the same chart in another size with its own table."""

    width: int = 480
    height: int = 260
    left: int = 64
    right: int = 12
    top: int = 28
    bottom: int = 36
    points: str = ""
    due_x: float | None = None
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple] = field(default_factory=list)
    table: list = field(default_factory=list)
    summary: str = ""

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    def axes(self, *, cycle, total: int) -> tuple[Callable[[datetime.date], float], Callable[[int], float]]:
        """x(day) and y(count) inside the frame: the cycle's opening to its close across, 0 to
        `total` people up."""
        span = max((cycle.closes_on - cycle.opens_on).days, 1)
        plot_w = self.width - self.left - self.right
        plot_h = self.height - self.top - self.bottom

        def x(day: datetime.date) -> float:
            return round(self.left + plot_w * (day - cycle.opens_on).days / span, 1)

        def y(count: int) -> float:
            return round(self.top + plot_h * (1 - (count / total if total else 0)), 1)

        return x, y


@dataclass
class CompletionChart(CycleChart):
    """The 所属長's chart, with today marked and the weekly figures for the table beside it."""

    x_labels: list[tuple[float, str]] = field(default_factory=list)
    table: list[ChartPoint] = field(default_factory=list)
    today_x: float | None = None


TABLE_ROWS = 12


def month_day(day: datetime.date) -> str:
    return f"{day.month}月{day.day}日"


def cumulative_completions(
    *, cycle, per_day: Mapping[datetime.date, int], end: datetime.date
) -> list[tuple[datetime.date, int]]:
    """(day, completed so far) for every day from the cycle's opening to `end`. Completed before
    the cycle opened (earlier in the 年度) counts from the opening day."""
    counts: Counter[datetime.date] = Counter()
    for day, n in per_day.items():
        counts[max(day, cycle.opens_on)] += n
    series, cumulative, day = [], 0, cycle.opens_on
    while day <= end:
        cumulative += counts[day]
        series.append((day, cumulative))
        day += datetime.timedelta(days=1)
    return series


def completion_chart(
    *, cycle: TrainingCycle, on: datetime.date, completed_on: list[datetime.date], total: int
) -> CompletionChart:
    chart = CompletionChart()
    x, y = chart.axes(cycle=cycle, total=total)
    end = min(on, cycle.closes_on)
    # The table beside the chart: weekly, or every few weeks so it stays about a dozen rows.
    step = 7 * max(1, math.ceil((end - cycle.opens_on).days / (7 * TABLE_ROWS)))
    series = cumulative_completions(cycle=cycle, per_day=Counter(completed_on), end=end)
    chart.points = " ".join(f"{x(day)},{y(cumulative)}" for day, cumulative in series)
    table = [
        ChartPoint(day, cumulative, round(100 * cumulative / total) if total else 0)
        for day, cumulative in series
        if (day - cycle.opens_on).days % step == 0 or day == end
    ]
    chart.table = table
    chart.due_x = x(cycle.due_on)
    chart.today_x = x(on) if cycle.opens_on <= on <= cycle.closes_on else None
    chart.y_ticks = [(y(0), "0"), (y(total), f"{total}人")] if total else [(y(0), "0")]
    chart.x_labels = [(x(cycle.opens_on), month_day(cycle.opens_on)), (x(cycle.closes_on), month_day(cycle.closes_on))]
    if table:
        last = table[-1]
        chart.summary = (
            f"{month_day(cycle.opens_on)}から{month_day(last.day)}までに{last.completed}人が修了（{last.percent}%）"
        )
    else:
        chart.summary = f"{month_day(cycle.opens_on)}に始まります"
    return chart
