"""Reads for the training pages, always scoped to the viewer: a 所属長 sees their own department
and the departments below it, HR their municipality (through the querysets' visible_to)."""

from __future__ import annotations

import datetime
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from people import scoping
from people.models import StaffMember

from .models import Assignment, ReminderLog, TrainingCycle


def department_head(*, user) -> StaffMember:
    """The viewer as an active 所属長, or 404: the department page is theirs alone."""
    if not scoping.viewer_of(user).is_department_head:
        raise Http404
    return scoping.acting_staff(user)


def cycles_for(*, user) -> list[TrainingCycle]:
    return list(TrainingCycle.objects.visible_to(user).select_related("guideline").order_by("-opens_on", "-pk"))


def cycle_pick(*, cycles: list[TrainingCycle], cycle_id: str | None, on: datetime.date) -> TrainingCycle | None:
    """The cycle asked for (404 unless it is among the viewer's), else the one running today,
    else the latest that has opened, else the next to open."""
    if cycle_id:
        try:
            wanted = int(cycle_id)
        except ValueError:
            raise Http404 from None
        for cycle in cycles:
            if cycle.pk == wanted:
                return cycle
        raise Http404
    running = [c for c in cycles if c.opens_on <= on <= c.closes_on]
    opened = [c for c in cycles if c.opens_on <= on]
    return (running or opened or cycles or [None])[0]


def assignment_for_reminder(*, user, cycle_id: int, staff_id: int) -> Assignment:
    """The assignment a 所属長 may send a 督促 for: a person in their subtree, in a cycle of their
    municipality; 404 for anyone else."""
    department_head(user=user)
    return get_object_or_404(
        Assignment.objects.visible_to(user).filter(cycle__in=TrainingCycle.objects.visible_to(user)),
        cycle_id=cycle_id,
        staff_id=staff_id,
    )


@dataclass
class ChartPoint:
    day: datetime.date
    completed: int
    percent: int


@dataclass
class CycleChart:
    """A cycle's cumulative completions drawn server-side as SVG coordinates: the frame (size and
    margins, the 所属長's page's by default) and what the template draws. HR's dashboard
    (reports.dashboard.LineChart) draws the same chart in another size with its own table."""

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


def _md(day: datetime.date) -> str:
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
    chart.x_labels = [(x(cycle.opens_on), _md(cycle.opens_on)), (x(cycle.closes_on), _md(cycle.closes_on))]
    if table:
        last = table[-1]
        chart.summary = f"{_md(cycle.opens_on)}から{_md(last.day)}までに{last.completed}人が修了（{last.percent}%）"
    else:
        chart.summary = f"{_md(cycle.opens_on)}に始まります"
    return chart


@dataclass
class StaffRow:
    assignment: Assignment
    status: str
    status_label: str
    passed: int
    required: int
    has_email: bool
    can_remind: bool

    @property
    def staff(self) -> StaffMember:
        return self.assignment.staff

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.required) if self.required else 0


@dataclass
class DepartmentOverview:
    department: object
    cycle: TrainingCycle
    rows: list[StaffRow]
    total: int
    completed: int
    by_status: list[tuple[str, str, int]]
    chart: CompletionChart
    without_email: list[StaffRow]

    @property
    def rate(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


def chapters_passed_counts(*, cycle: TrainingCycle, staff_ids, people: list[StaffMember]) -> dict[int, tuple[int, int]]:
    """Per person: (chapters passed, chapters required), by the rule of quizzes.selectors.
    course_progress, in three queries whatever the number of people (clauses mastered are
    counted per chapter in one aggregate)."""
    from courses.models import ChapterPage, live_chapters_of
    from quizzes import rules
    from quizzes.models import ClauseProgress, ScenarioQuestion
    from quizzes.selectors import chapter_required_for

    guideline = cycle.guideline
    chapters = live_chapters_of(guideline)
    bodies = {c.pk: c for c in ChapterPage.objects.filter(pk__in=[c.pk for c in chapters]).only("body", "path")}
    quizzed = set(
        ScenarioQuestion.objects.live()
        .filter(guideline_id=guideline.pk)
        .values_list("clause_key", flat=True)
        .distinct()
    )
    keys = {
        c.pk: rules.quizzed_keys(clause_keys=bodies[c.pk].clause_keys(), quizzed=quizzed) if c.pk in bodies else set()
        for c in chapters
    }
    counts = {f"c{pk}": Count("pk", filter=Q(clause_key__in=sorted(k))) for pk, k in keys.items() if k}
    mastered: dict[int, dict] = {}
    if counts and people:
        for row in (
            ClauseProgress.objects.of_year(cycle.fiscal_year)
            .filter(guideline_id=guideline.pk, state=ClauseProgress.State.MASTERED, staff_id__in=staff_ids)
            .values("staff_id")
            .annotate(**counts)
            .order_by()
        ):
            mastered[row["staff_id"]] = row
    result = {}
    for person in people:
        counted = mastered.get(person.pk, {})
        required = passed = 0
        for chapter in chapters:
            if not chapter_required_for(staff=person, chapter=chapter):
                continue
            required += 1
            if rules.chapter_is_passed(
                quizzed=keys[chapter.pk], mastered_count=counted.get(f"c{chapter.pk}", 0), pass_mark=guideline.pass_mark
            ):
                passed += 1
        result[person.pk] = (passed, required)
    return result


def department_overview(*, user, head: StaffMember, cycle: TrainingCycle, on: datetime.date) -> DepartmentOverview:
    """Everything on the 所属長's page for one cycle, in a fixed number of queries whatever the
    number of people: their assignments with status and last reminder, chapters passed."""
    assignments = Assignment.objects.visible_to(user).active().filter(cycle=cycle)
    last_reminded = (
        ReminderLog.objects.filter(assignment=OuterRef("pk"), sent_at__isnull=False)
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    items = list(
        assignments.with_status(on)
        .annotate(last_reminded=Subquery(last_reminded))
        .select_related("staff__department", "staff__user")
        .order_by("staff__department__code", "staff__staff_number")
    )
    progress = chapters_passed_counts(
        cycle=cycle, staff_ids=assignments.values("staff_id"), people=[a.staff for a in items]
    )
    running = cycle.opens_on <= on <= cycle.closes_on
    labels = dict(Assignment.Status.choices)
    rows = []
    for assignment in items:
        passed, required = progress.get(assignment.staff_id, (0, 0))
        open_ = assignment.status != Assignment.Status.COMPLETED
        has_email = bool(assignment.staff.user.email)
        rows.append(
            StaffRow(
                assignment=assignment,
                status=assignment.status,
                status_label=str(labels[assignment.status]),
                passed=passed,
                required=required,
                has_email=has_email,
                can_remind=open_ and running and has_email,
            )
        )
    by_status = Counter(row.status for row in rows)
    completed_on = [timezone.localdate(a.completed_at) for a in items if a.completed_at is not None]
    return DepartmentOverview(
        department=head.department,
        cycle=cycle,
        rows=rows,
        total=len(rows),
        completed=by_status[Assignment.Status.COMPLETED],
        by_status=[
            (value, str(label), by_status[value])
            for value, label in Assignment.Status.choices
            if value != Assignment.Status.WITHDRAWN
        ],
        chart=completion_chart(cycle=cycle, on=on, completed_on=completed_on, total=len(rows)),
        without_email=[row for row in rows if not row.has_email and row.status != Assignment.Status.COMPLETED],
    )
