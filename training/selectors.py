"""Reads for the training pages, always scoped to the viewer: a 所属長 sees their own department
and the departments below it, HR their municipality (through the querysets' visible_to)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from people import scoping
from people.models import StaffMember
from people.selectors import department_name_on

from .charts import CompletionChart, completion_chart
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
class StaffRow:
    assignment: Assignment
    status: str
    status_label: str
    passed: int
    required: int
    has_email: bool
    can_remind: bool
    review: str | None = None  # 「第N版：確認済み」 (改正点の確認, decision 0037)

    @property
    def staff(self) -> StaffMember:
        return self.assignment.staff

    @property
    def department_name(self) -> str:
        """The person's department's name in the cycle's time (a past cycle keeps its names)."""
        return getattr(self.assignment, "department_name_then", None) or self.assignment.staff.department.name

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
    from .status import latest_review, review_text

    items = list(
        assignments.with_status(on)
        .annotate(
            last_reminded=Subquery(last_reminded),
            department_name_then=department_name_on(department="staff__department", day=min(on, cycle.closes_on)),
            **latest_review(on),
        )
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
        open_ = assignment.status not in (Assignment.Status.COMPLETED, Assignment.Status.EXEMPT)
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
                review=review_text(assignment.review_version, assignment.review_status),
            )
        )
    by_status = Counter(row.status for row in rows)
    completed_on = [timezone.localdate(a.completed_at) for a in items if a.completed_at is not None]
    counted = len(rows) - by_status[Assignment.Status.EXEMPT]  # exempted people leave the denominator
    return DepartmentOverview(
        department=head.department,
        cycle=cycle,
        rows=rows,
        total=counted,
        completed=by_status[Assignment.Status.COMPLETED],
        by_status=[
            (value, str(label), by_status[value])
            for value, label in Assignment.Status.choices
            if value != Assignment.Status.WITHDRAWN
        ],
        chart=completion_chart(cycle=cycle, on=on, completed_on=completed_on, total=counted),
        without_email=[
            row
            for row in rows
            if not row.has_email and row.status not in (Assignment.Status.COMPLETED, Assignment.Status.EXEMPT)
        ],
    )


@dataclass
class MyDeadline:
    """One of the viewer's assignments as my page shows it: 年度, due date (their own, extended if
    so), days left or overdue, and the status by the one rule (training/status.py)."""

    assignment: Assignment
    status: str
    status_label: str
    today: datetime.date

    @property
    def fiscal_year_label(self) -> str:
        return self.assignment.cycle.fiscal_year_label

    @property
    def due_on(self) -> datetime.date:
        return self.assignment.due_on

    @property
    def extended(self) -> bool:
        return self.assignment.extended_from is not None

    @property
    def days_left(self) -> int:
        return (self.due_on - self.today).days

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_left)

    @property
    def is_open(self) -> bool:
        return self.status not in (
            Assignment.Status.COMPLETED,
            Assignment.Status.EXEMPT,
            Assignment.Status.WITHDRAWN,
        )


def my_deadlines(*, staff: StaffMember | None, on: datetime.date | None = None) -> dict[int, MyDeadline]:
    """The viewer's assignments of this 年度's cycles, by guideline id (one query)."""
    from sns_training.fiscal_year import fiscal_year_of

    if staff is None:
        return {}
    on = on or timezone.localdate()
    labels = dict(Assignment.Status.choices)
    result = {}
    for assignment in (
        Assignment.objects.filter(staff=staff, cycle__fiscal_year=fiscal_year_of(on), withdrawn_at__isnull=True)
        .with_status(on)
        .select_related("cycle")
        .order_by("-cycle__opens_on", "-pk")
    ):
        result.setdefault(
            assignment.cycle.guideline_id,
            MyDeadline(assignment, assignment.status, str(labels[assignment.status]), on),
        )
    return result


def awaiting_attestation(*, staff: StaffMember, guideline_id: int, on: datetime.date | None = None) -> bool:
    """Whether the person is 誓約待ち in this 年度's cycle of the guideline (one query): the review
    then offers the attestation rather than another chapter."""
    from sns_training.fiscal_year import fiscal_year_of

    return (
        Assignment.objects.active()
        .filter(
            staff=staff,
            cycle__guideline_id=guideline_id,
            cycle__fiscal_year=fiscal_year_of(on or timezone.localdate()),
            completion__isnull=True,
            chapters_passed_at__isnull=False,
        )
        .exists()
    )


# Nobody falls through (decision 0032) --------------------------------------------------------------


@dataclass
class WithoutHeadRow:
    assignment: Assignment
    days_over: int
    has_email: bool
    escalated: bool

    @property
    def staff(self) -> StaffMember:
        return self.assignment.staff


def overdue_without_head(*, cycle: TrainingCycle, on: datetime.date) -> list[WithoutHeadRow]:
    """HR's list: the cycle's people 期限超過 (the status rule) with no 所属長 above them who would
    hear of it (training/heads.py, the escalation's rule). The caller has scoped the cycle to the
    viewer's municipality (reports' ReportMixin). Three queries."""
    from .heads import head_department, heads_by_department

    heads = heads_by_department(cycle.municipality_id)
    escalated = set(
        ReminderLog.objects.filter(cycle=cycle, kind=ReminderLog.Kind.ESCALATION, sent_at__isnull=False).values_list(
            "staff_id", flat=True
        )
    )
    rows = []
    for assignment in (
        Assignment.objects.filter(cycle=cycle)
        .with_status(on)
        .filter(status=Assignment.Status.OVERDUE)
        .select_related("staff__department", "staff__user")
        .order_by("staff__department__code", "staff__staff_number")
    ):
        if head_department(assignment.staff.department.path, assignment.staff_id, heads) is not None:
            continue
        rows.append(
            WithoutHeadRow(
                assignment=assignment,
                days_over=(on - assignment.due_on).days,
                has_email=bool(assignment.staff.user.email),
                escalated=assignment.staff_id in escalated,
            )
        )
    return rows


SORTS = {
    "number": lambda row: row.staff.staff_number,
    "name": lambda row: (row.staff.kana or row.staff.name, row.staff.staff_number),
    "department": lambda row: (row.staff.department.code, row.staff.staff_number),
    "status": lambda row: (STATUS_ORDER.get(row.status, 99), row.staff.department.code, row.staff.staff_number),
    "due": lambda row: (row.assignment.due_on, row.staff.staff_number),
}
STATUS_ORDER = {value: index for index, value in enumerate(Assignment.Status.values)}


@dataclass
class RowFilter:
    """The 所属長's list narrowed and sorted by GET parameters (status, department, name, sort);
    a value not offered is ignored, a department outside the viewer's reach is never offered."""

    status: str = ""
    department_id: int | None = None
    name: str = ""
    sort: str = "department"
    descending: bool = False

    @classmethod
    def from_query(cls, params, *, departments: list) -> RowFilter:
        status = params.get("status", "")
        if status not in Assignment.Status.values:
            status = ""
        try:
            department_id = int(params.get("department") or 0) or None
        except ValueError:
            department_id = None
        if department_id not in {d.pk for d in departments}:
            department_id = None
        sort = params.get("sort", "department")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        if sort not in SORTS:
            sort, descending = "department", False
        return cls(status, department_id, (params.get("name") or "").strip()[:100], sort, descending)

    @property
    def active(self) -> bool:
        return bool(self.status or self.department_id or self.name)

    def apply(self, rows: list[StaffRow], *, departments: list) -> list[StaffRow]:
        if self.status:
            rows = [row for row in rows if row.status == self.status]
        if self.department_id:
            path = next(d.path for d in departments if d.pk == self.department_id)
            rows = [row for row in rows if row.staff.department.path.startswith(path)]
        if self.name:
            needle = self.name.replace(" ", "").replace("\u3000", "")
            rows = [
                row
                for row in rows
                if needle in row.staff.name.replace(" ", "").replace("\u3000", "")
                or needle in (row.staff.kana or "").replace(" ", "").replace("\u3000", "")
                or needle == row.staff.staff_number
            ]
        return sorted(rows, key=SORTS[self.sort], reverse=self.descending)


def departments_for(*, user) -> list:
    """The departments a viewer may filter by (a 所属長: their subtree), in code order."""
    from people.models import Department

    return list(Department.objects.visible_to(user).order_by("code").only("pk", "name", "code", "path"))


def cycle_for_head(*, user, cycle_id: int) -> TrainingCycle:
    """A cycle of the 所属長's municipality, or 404 (anyone else: 404)."""
    department_head(user=user)
    return get_object_or_404(TrainingCycle.objects.visible_to(user).select_related("guideline"), pk=cycle_id)


def open_assignments_for_reminder(*, user, cycle: TrainingCycle) -> list[Assignment]:
    """Everyone a 所属長 may remind in one action: the open assignments (not completed, exempted
    or withdrawn) of the people in their subtree in this cycle, in pk order (the lock order)."""
    department_head(user=user)
    return list(
        Assignment.objects.visible_to(user)
        .open()
        .filter(cycle=cycle)
        .select_related("staff__user", "staff__department")
        .order_by("pk")
    )


@dataclass
class StaffTraining:
    """One of a person's assignments as the staff detail shows it."""

    assignment: Assignment
    status_label: str
    passed: int
    required: int


def staff_training(*, user, staff: StaffMember, on: datetime.date | None = None) -> list[StaffTraining]:
    """A person's training status per cycle for the staff detail (/staff/<pk>/), by the status
    rule; only through Assignment.objects.visible_to, so nobody sees more than the staff page."""
    on = on or timezone.localdate()
    labels = dict(Assignment.Status.choices)
    assignments = list(
        Assignment.objects.visible_to(user)
        .filter(staff=staff)
        .with_status(on)
        .select_related("cycle__guideline")
        .order_by("-cycle__opens_on", "-pk")
    )
    result = []
    for assignment in assignments:
        counts = chapters_passed_counts(cycle=assignment.cycle, staff_ids=[staff.pk], people=[staff])
        passed, required = counts.get(staff.pk, (0, 0))
        result.append(StaffTraining(assignment, str(labels[assignment.status]), passed, required))
    return result


def my_reviews(*, user, on: datetime.date | None = None):
    """The viewer's own 改正点の確認, newest version first, with their status (training/status.py)."""
    from .models import RevisionReview

    on = on or timezone.localdate()
    return list(
        RevisionReview.objects.of_user(user)
        .with_status(on)
        .select_related("version__guideline")
        .order_by("-version__effective_date", "-pk")
    )
