"""Report selectors for HR's admin reports (issue 5, decision 0015): the department rollup, staff
rows "as of" a day, the clause heat-map, item analysis and the personnel record.

Every function takes the municipality (resolved by reports.selectors.report_municipality) and reads
only its rows. Each runs a fixed number of aggregate queries whatever the number of departments or
people: counts are grouped in SQL and rolled up the department tree in Python (at most a few
hundred departments), never one query per row.

"As of" a day D is read from the records, not today's roster: an assignment counts from its
`assigned_on`, is 取消 once withdrawn, 修了 once completed, 期限超過 past its due date, 受講中 once a
quiz was started in the cycle; the department is the person's DepartmentMembership on D.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import (
    BigIntegerField,
    Count,
    DateTimeField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.models import Department, DepartmentMembership, Municipality, StaffMember
from quizzes.models import AttemptItem, ClauseProgress, CompletionRecord, QuizAttempt, ScenarioQuestion
from quizzes.selectors import MIN_ANSWERS_FOR_STATISTICS, item_discrimination
from sns_training.fiscal_year import day_end, day_start, fiscal_year_label
from training.models import Assignment, TrainingCycle
from training.status import active_at, status_counts, status_on

from .exports import Column, Kind

Status = Assignment.Status
STATUS_LABELS = dict(Status.choices)
EMPLOYMENT_LABELS = dict(StaffMember.EmploymentType.choices)


# --- Days ----------------------------------------------------------------------------------------


# --- Departments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentNode:
    pk: int
    code: str
    name: str
    depth: int
    ancestor_ids: tuple[int, ...]  # from the top (部) down to the department itself

    @property
    def indented_name(self) -> str:
        return "\u3000" * (self.depth - 1) + self.name

    @property
    def label(self) -> str:
        return f"{self.name}（{self.code}）"


class DepartmentIndex:
    """A municipality's department tree, loaded in one query, in tree order (部 › 課 › 係, siblings
    by 所属コード), for filter choices, names in rows and rolling counts up to the ancestors."""

    def __init__(self, departments: Iterable[Department]):
        nodes = []
        for department in departments:
            ancestors = tuple(int(part) for part in department.path.strip("/").split("/") if part)
            nodes.append(DepartmentNode(department.pk, department.code, department.name, department.depth, ancestors))
        self.by_id: dict[int, DepartmentNode] = {node.pk: node for node in nodes}

        def sort_key(node: DepartmentNode):
            return tuple(self.by_id[a].code if a in self.by_id else "" for a in node.ancestor_ids)

        self.nodes: list[DepartmentNode] = sorted(nodes, key=sort_key)
        self.by_code: dict[str, DepartmentNode] = {node.code: node for node in nodes}

    def __len__(self) -> int:
        return len(self.nodes)

    def get(self, pk) -> DepartmentNode | None:
        return self.by_id.get(pk)

    def subtree_ids(self, pk: int) -> list[int]:
        """The department and every department below it."""
        return [node.pk for node in self.nodes if pk in node.ancestor_ids]

    def at_depth(self, pk: int, depth: int) -> int | None:
        """The department's ancestor at `depth` (itself when it is that deep or shallower)."""
        node = self.by_id.get(pk)
        if node is None:
            return None
        return node.ancestor_ids[min(depth, len(node.ancestor_ids)) - 1]

    def choices(self) -> list[tuple[str, str]]:
        return [(str(node.pk), f"{node.indented_name}（{node.code}）") for node in self.nodes]

    @property
    def max_depth(self) -> int:
        return max((node.depth for node in self.nodes), default=1)


def department_index(*, municipality: Municipality) -> DepartmentIndex:
    return DepartmentIndex(
        Department.objects.filter(municipality=municipality).only("pk", "code", "name", "path", "depth").order_by()
    )


# --- Cycles --------------------------------------------------------------------------------------


def cycles_of(*, municipality: Municipality) -> list[TrainingCycle]:
    """The municipality's training cycles, newest first (one query)."""
    return list(
        TrainingCycle.objects.filter(municipality=municipality)
        .select_related("guideline")
        .order_by("-fiscal_year", "-opens_on", "-pk")
    )


def current_cycle(cycles: list[TrainingCycle], on: datetime.date) -> TrainingCycle | None:
    """The cycle running on `on`, else the latest that has opened, else the next to open."""
    running = [c for c in cycles if c.opens_on <= on <= c.closes_on]
    opened = [c for c in cycles if c.opens_on <= on]
    return (running or opened or cycles or [None])[0]


# --- "As of" expressions -------------------------------------------------------------------------


def with_department_on(queryset: QuerySet, day: datetime.date) -> QuerySet:
    """`department_at`: the person's (`staff`'s) department on `day` from their department history
    (DepartmentMembership, joined on the one row covering the day: the history is half-open and
    never overlaps), falling back to today's department for someone with no row that day. A join,
    not a subquery per row, so PostgreSQL can hash it for 50,000 rows."""
    covering = Q(staff__memberships__valid_from__lte=day) & (
        Q(staff__memberships__valid_to__isnull=True) | Q(staff__memberships__valid_to__gt=day)
    )
    return queryset.annotate(
        membership_on=FilteredRelation("staff__memberships", condition=covering),
        department_at=Coalesce(
            F("membership_on__department_id"), F("staff__department_id"), output_field=BigIntegerField()
        ),
    )


class LocalDateTime(Func):
    """An aware timestamp as local wall-clock time, converted by PostgreSQL (`AT TIME ZONE`): reading
    a naive timestamp costs about half as much as an aware one, a sixth of a 50,000-row export.
    Elsewhere the aware value as it is. The export engine writes both as local time."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} AT TIME ZONE %s)", (*params, timezone.get_current_timezone_name())


# --- Department summary --------------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0  # 対象者数 (assigned by the day and not withdrawn)
    completed: int = 0
    overdue: int = 0
    in_progress: int = 0

    @property
    def not_started(self) -> int:
        return self.total - self.completed - self.overdue - self.in_progress

    @property
    def rate(self) -> float | None:
        """修了率 in percent, one decimal; None when nobody is assigned."""
        return round(100 * self.completed / self.total, 1) if self.total else None

    def add(self, other: Counts) -> None:
        self.total += other.total
        self.completed += other.completed
        self.overdue += other.overdue
        self.in_progress += other.in_progress


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
        row["department_at"]: Counts(row["n_total"], row["n_completed"], row["n_overdue"], row["n_in_progress"])
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
        )
        for row in summary.rows
    ]
    t = summary.total
    rows.append((None, str(_("合計")), None, t.total, t.completed, t.rate, t.overdue, t.in_progress, t.not_started))
    return rows


def completions_by_day(*, cycle: TrainingCycle, as_of: datetime.date) -> dict[datetime.date, int]:
    """How many of the cycle's assignees completed on each day up to `as_of` (one grouped query)."""
    end = day_end(as_of)
    rows = (
        Assignment.objects.filter(cycle=cycle, assigned_on__lte=as_of, completed_at__lt=end)
        .filter(active_at(end))
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


# --- Staff detail --------------------------------------------------------------------------------


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
    queryset = queryset.annotate(attempts=_attempt_count(end))
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
         correct, total, attempts, version) = values  # fmt: skip
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
        )

    def rows(self, queryset: QuerySet[Assignment]) -> list[StaffRow]:
        return [self(values) for values in queryset.values_list(*STAFF_FIELDS)]

    def export_tuple(self, values: tuple) -> tuple:
        """The export row straight from the values (as `self(values).as_tuple()`, without the
        StaffRow in between: this runs 50,000 times for a large download)."""
        (_pk, cycle_id, _staff_id, number, name, department_id, employment, status, due_on, completed_at,
         correct, total, attempts, version) = values  # fmt: skip
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


# --- Clause heat-map -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClauseInfo:
    key: str
    number: str
    heading: str
    chapter: str

    @property
    def label(self) -> str:
        return f"{self.number} {self.heading}".strip()


def guideline_clauses(guideline) -> list[ClauseInfo]:
    """The guideline's numbered clauses in order (the keys quizzes and ClauseProgress use), from
    its live chapters in one query."""
    from courses.models import ChapterPage

    clauses = []
    for chapter in ChapterPage.objects.child_of(guideline).live().order_by("path").only("title", "number", "body"):
        for block in chapter.body:
            value = block.value
            clauses.append(ClauseInfo(value["key"], value["number"], value["heading"] or chapter.title, chapter.title))
    return clauses


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
    by the department each belonged to on `as_of`. Two queries: the counts and the chapters."""
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
    grand = HeatCell()
    for cell in totals.values():
        grand.answered += cell.answered
        grand.missed += cell.missed
    return Heatmap(cycle.guideline, as_of, depth, columns, rows, grand)


HEATMAP_COLUMNS = (
    Column(_("所属コード"), Kind.CODE),
    Column(_("所属名"), Kind.TEXT),
    Column(_("条項キー"), Kind.CODE),
    Column(_("条項番号"), Kind.TEXT, width=10),
    Column(_("見出し"), Kind.TEXT, width=30),
    Column(_("回答者数"), Kind.NUMBER),
    Column(_("初回誤答数"), Kind.NUMBER),
    Column(_("初回誤答率（%）"), Kind.NUMBER),
)


def heatmap_export_rows(heatmap: Heatmap) -> list[tuple]:
    """Long format (one row per department and clause, then the municipality's total per clause),
    so the file pivots in a spreadsheet without a column per department."""
    rows = []
    for row in heatmap.rows:
        for node, cell in zip(heatmap.departments, row.cells, strict=True):
            if cell.answered:
                c = row.clause
                rows.append((node.code, node.name, c.key, c.number, c.heading, cell.answered, cell.missed, cell.share))
    for row in heatmap.rows:
        c, cell = row.clause, row.total
        rows.append((None, str(_("合計")), c.key, c.number, c.heading, cell.answered, cell.missed, cell.share))
    return rows


# --- Item analysis -------------------------------------------------------------------------------


@dataclass
class ChoiceStat:
    pk: int | None
    text: str
    is_correct: bool
    count: int = 0
    share: float | None = None


@dataclass
class ItemStat:
    question: ScenarioQuestion
    clause: ClauseInfo | None
    answered: int
    correct: int
    choices: list[ChoiceStat]
    other_choices: int  # selections of choices the question no longer has (an earlier version's)
    # Point-biserial correlation with first-try mastery of the chapter's other clauses (decision
    # 0019; quizzes.selectors.item_discrimination); None with too few answers.
    discrimination: float | None = None

    @property
    def unchosen(self) -> list[ChoiceStat]:
        """Wrong choices nobody chose, once enough people answered: not a plausible misreading."""
        if self.answered < MIN_ANSWERS_FOR_STATISTICS:
            return []
        return [c for c in self.choices if not c.is_correct and not c.count]

    @property
    def weak_discrimination(self) -> bool:
        return self.discrimination is not None and self.discrimination < 0.1

    @property
    def share_correct(self) -> float | None:
        return round(100 * self.correct / self.answered, 1) if self.answered else None

    @property
    def top_wrong(self) -> ChoiceStat | None:
        wrong = [c for c in self.choices if not c.is_correct and c.count]
        return max(wrong, key=lambda c: c.count) if wrong else None

    @property
    def flagged(self) -> bool:
        """A wrong choice chosen more often than the correct one (for "all that apply", more than
        the least chosen correct choice): the question, or the clause, is being misunderstood."""
        top = self.top_wrong
        correct = [c.count for c in self.choices if c.is_correct]
        return bool(top and correct and top.count > min(correct))


def item_analysis(
    *,
    questions: QuerySet[ScenarioQuestion],
    guideline,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> list[ItemStat]:
    """Per question of the guideline: answers, share correct, how often each choice was chosen,
    the most chosen wrong choice and whether it beats the correct one. From the answers of graded
    attempts, optionally within [since, until]; three queries whatever the number of questions."""
    items = AttemptItem.objects.filter(
        attempt__state=QuizAttempt.State.GRADED,
        attempt__guideline_id=guideline.pk,
        question__in=questions,
    )
    if since:
        items = items.filter(attempt__submitted_at__gte=day_start(since))
    if until:
        items = items.filter(attempt__submitted_at__lt=day_end(until))
    answered: dict[int, int] = defaultdict(int)
    correct: dict[int, int] = defaultdict(int)
    chosen: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    # Grouped by the selection itself: as many rows as distinct answers, not as answers given.
    for row in items.values("question_id", "selected", "is_correct").annotate(n=Count("pk")).order_by():
        question_id, n = row["question_id"], row["n"]
        answered[question_id] += n
        if row["is_correct"]:
            correct[question_id] += n
        for choice_id in row["selected"] or []:
            chosen[question_id][choice_id] += n
    discrimination = item_discrimination(answers=items, guideline=guideline)
    clauses = guideline_clauses(guideline)
    clause_by_key = {c.key: c for c in clauses}
    order = {c.key: i for i, c in enumerate(clauses)}
    result = []
    for question in questions.filter(guideline_id=guideline.pk).prefetch_related("choices"):
        if not question.live and not answered.get(question.pk):
            continue
        counts = chosen.get(question.pk, {})
        total = answered.get(question.pk, 0)
        choices = [
            ChoiceStat(
                choice.pk,
                choice.text,
                choice.is_correct,
                counts.get(choice.pk, 0),
                round(100 * counts.get(choice.pk, 0) / total, 1) if total else None,
            )
            for choice in sorted(question.choices.all(), key=lambda c: (c.sort_order or 0, c.pk))
        ]
        known = {c.pk for c in choices}
        result.append(
            ItemStat(
                question=question,
                clause=clause_by_key.get(question.clause_key),
                answered=total,
                correct=correct.get(question.pk, 0),
                choices=choices,
                other_choices=sum(n for pk, n in counts.items() if pk not in known),
                discrimination=discrimination.get(question.pk),
            )
        )
    result.sort(
        key=lambda s: (order.get(s.question.clause_key, len(order)), s.question.clause_key, s.question.external_id)
    )
    return result


ITEM_COLUMNS = (
    Column(_("設問ID"), Kind.CODE, width=20),
    Column(_("条項キー"), Kind.CODE),
    Column(_("条項"), Kind.TEXT, width=30),
    Column(_("問い"), Kind.TEXT, width=40),
    Column(_("回答数"), Kind.NUMBER),
    Column(_("正答数"), Kind.NUMBER),
    Column(_("正答率（%）"), Kind.NUMBER),
    Column(_("最も多い誤答"), Kind.TEXT, width=40),
    Column(_("その誤答の回答数"), Kind.NUMBER),
    Column(_("要確認"), Kind.TEXT, width=8),
    Column(_("選択肢ごとの回答数"), Kind.TEXT, width=60),
    Column(_("識別力"), Kind.NUMBER),
    Column(_("誰も選ばない誤答"), Kind.TEXT, width=40),
)


def item_export_rows(stats: list[ItemStat]) -> list[tuple]:
    mark = str(_("要確認"))
    rows = []
    for stat in stats:
        top = stat.top_wrong
        per_choice = " / ".join(f"{'◯' if c.is_correct else '×'}{c.text}: {c.count}" for c in stat.choices)
        rows.append(
            (
                stat.question.external_id,
                stat.question.clause_key,
                stat.clause.label if stat.clause else "",
                stat.question.prompt,
                stat.answered,
                stat.correct,
                stat.share_correct,
                top.text if top else None,
                top.count if top else None,
                mark if stat.flagged else None,
                per_choice,
                stat.discrimination,
                " / ".join(c.text for c in stat.unchosen) or None,
            )
        )
    return rows


# --- Personnel record (人事記録) -------------------------------------------------------------------


def staff_search(*, municipality: Municipality) -> QuerySet[StaffMember]:
    """The municipality's people, retired ones included: a personnel file outlives employment."""
    return StaffMember.objects.filter(municipality=municipality).select_related("department")


@dataclass
class AnswerEvidence:
    question_id: str
    prompt: str
    version: int | None
    clause: str
    selected: list
    correct: bool | None
    submitted_at: str


@dataclass
class RecordEvidence:
    record: CompletionRecord
    answers: list[AnswerEvidence]


@dataclass
class YearEntry:
    """One guideline in one 年度: the assignment (if the person was in a cycle) and the
    completion record (if they completed)."""

    fiscal_year: int
    guideline_title: str
    assignment: Assignment | None
    evidence: RecordEvidence | None

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def status_label(self) -> str:
        if self.assignment is not None:
            return str(STATUS_LABELS[self.assignment.status])
        return str(STATUS_LABELS[Status.COMPLETED]) if self.evidence else ""


@dataclass
class ClauseMastery:
    """One guideline's clauses across the 年度 a person trained in: per clause and 年度, mastered
    at the first try, mastered after a miss, or missed (decision 0019)."""

    guideline_title: str
    years: list[int]
    rows: list[tuple[str, list[str]]]  # clause key, a label per year ("" = not answered)

    @property
    def year_labels(self) -> list[str]:
        return [fiscal_year_label(year) for year in self.years]


@dataclass
class PersonnelRecord:
    staff: StaffMember
    years: list[YearEntry]
    memberships: list[DepartmentMembership]
    mastery: list[ClauseMastery] = field(default_factory=list)


def _clause_order(key: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in key.split("-"))


def clause_mastery(*, staff: StaffMember) -> list[ClauseMastery]:
    """Clause mastery across years for one person, per guideline (one query)."""
    labels = {
        "first": str(_("初回で習得")),
        "later": str(_("再挑戦で習得")),
        "missed": str(_("未習得")),
    }
    cells: dict[tuple[int, str], dict[str, dict[int, str]]] = {}
    for guideline_id, title, year, key, state, first_missed in ClauseProgress.objects.filter(staff=staff).values_list(
        "guideline_id", "guideline__title", "fiscal_year", "clause_key", "state", "first_attempt_missed"
    ):
        if state == ClauseProgress.State.MASTERED:
            label = labels["later"] if first_missed else labels["first"]
        else:
            label = labels["missed"]
        cells.setdefault((guideline_id, title), {}).setdefault(key, {})[year] = label
    result = []
    for (_pk, title), by_clause in sorted(cells.items(), key=lambda item: item[0][1]):
        years = sorted({year for per_year in by_clause.values() for year in per_year})
        rows = [(key, [by_clause[key].get(year, "") for year in years]) for key in sorted(by_clause, key=_clause_order)]
        result.append(ClauseMastery(title, years, rows))
    return result


def personnel_record(*, staff: StaffMember, on: datetime.date) -> PersonnelRecord:
    """One person's training across every 年度: assignments with their status on `on`, completion
    records with their evidence, the department history and clause mastery across years. Five
    queries."""
    assignments = list(
        Assignment.objects.filter(staff=staff)
        .annotate(status=status_on(on))
        .select_related("cycle__guideline")
        .order_by("-cycle__fiscal_year", "cycle_id")
    )
    records = list(CompletionRecord.objects.filter(staff=staff).order_by("-fiscal_year", "guideline_id"))
    question_ids = {answer.get("question") for record in records for answer in record.answers or []}
    prompts = dict(ScenarioQuestion.objects.filter(pk__in=question_ids - {None}).values_list("pk", "prompt"))
    memberships = list(
        DepartmentMembership.objects.filter(staff=staff).select_related("department").order_by("-valid_from")
    )
    evidence = {}
    for record in records:
        evidence[(record.fiscal_year, record.guideline_id)] = RecordEvidence(
            record,
            [
                AnswerEvidence(
                    question_id=answer.get("question_id", ""),
                    prompt=prompts.get(answer.get("question"), ""),
                    version=answer.get("question_version"),
                    clause=answer.get("clause", ""),
                    selected=list(answer.get("selected") or []),
                    correct=answer.get("correct"),
                    submitted_at=answer.get("submitted_at", ""),
                )
                for answer in record.answers or []
            ],
        )
    years = []
    for assignment in assignments:
        key = (assignment.cycle.fiscal_year, assignment.cycle.guideline_id)
        years.append(YearEntry(key[0], assignment.cycle.guideline.title, assignment, evidence.pop(key, None)))
    for (year, _guideline), item in evidence.items():  # completed outside any cycle
        years.append(YearEntry(year, item.record.guideline_title, None, item))
    years.sort(key=lambda y: (-y.fiscal_year, y.guideline_title))
    return PersonnelRecord(staff=staff, years=years, memberships=memberships, mastery=clause_mastery(staff=staff))


PERSONNEL_COLUMNS = (
    Column(_("職員番号"), Kind.CODE),
    Column(_("氏名"), Kind.TEXT, width=16),
    Column(_("年度"), Kind.TEXT, width=12),
    Column(_("ガイドライン"), Kind.TEXT, width=30),
    Column(_("状況"), Kind.TEXT, width=10),
    Column(_("受講期限"), Kind.DATE),
    Column(_("所属（修了時）"), Kind.TEXT),
    Column(_("修了日時"), Kind.DATETIME),
    Column(_("誓約日時"), Kind.DATETIME),
    Column(_("版"), Kind.TEXT, width=16),
    Column(_("ガイドラインの改訂ID"), Kind.CODE),
    Column(_("章の改訂ID"), Kind.TEXT, width=24),
    Column(_("条文のハッシュ（SHA-256）"), Kind.CODE, width=66),
    Column(_("確認コード"), Kind.CODE),
    Column(_("初回正答率（%）"), Kind.NUMBER),
    Column(_("回答（設問ID・版・条項・選択・正誤）"), Kind.TEXT, width=80),
)


def personnel_export_rows(record: PersonnelRecord) -> list[tuple]:
    """One row per 年度 and guideline; the answers in one cell as 設問ID:v版:条項:選択:正誤."""
    staff = record.staff
    right, wrong = str(_("正")), str(_("誤"))
    rows = []
    for year in record.years:
        evidence = year.evidence
        r = evidence.record if evidence else None
        answers = (
            "; ".join(
                f"{a.question_id}:v{a.version}:{a.clause}:{','.join(map(str, a.selected))}:{right if a.correct else wrong}"
                for a in evidence.answers
            )
            if evidence
            else None
        )
        rows.append(
            (
                staff.staff_number,
                staff.name,
                year.fiscal_year_label,
                year.guideline_title,
                year.status_label,
                year.assignment.due_on if year.assignment else None,
                f"{r.department_name}（{r.department_code}）" if r else None,
                r.completed_at if r else None,
                r.attested_at if r else None,
                r.guideline_version if r else None,
                r.guideline_revision_id if r else None,
                ", ".join(f"{k}:{v}" for k, v in sorted(r.chapter_revisions.items())) if r else None,
                r.content_hash if r else None,
                r.verification_code if r else None,
                r.first_try_percent if r else None,
                answers,
            )
        )
    return rows
