"""What every HR report reads (issue 5, decision 0015): the municipality's department tree and
cycles, the department a person was in on a day, local timestamps, a guideline's clauses.

Every report's query module takes the municipality (resolved by reports.selectors.report_municipality)
and reads only its rows. Each runs a fixed number of aggregate queries whatever the number of
departments or people: counts are grouped in SQL and rolled up the department tree in Python (at most
a few hundred departments), never one query per row.

"As of" a day D is read from the records, not today's roster: an assignment counts from its
`assigned_on`, is 取消 once withdrawn, 修了 once completed, 期限超過 past its due date, 受講中 once a
quiz was started in the cycle; the department is the person's DepartmentMembership on D.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BigIntegerField, DateTimeField, F, FilteredRelation, Func, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from people.models import Department, Municipality, StaffMember
from training.models import Assignment, TrainingCycle

Status = Assignment.Status
STATUS_LABELS = dict(Status.choices)
EMPLOYMENT_LABELS = dict(StaffMember.EmploymentType.choices)


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

    def __init__(self, departments: Iterable[Department], history: dict | None = None, placements: dict | None = None):
        # pk → [(valid_from, valid_to, name)]: the name history `as_of` reads (people.DepartmentName).
        self.history: dict[int, list[tuple]] = history or {}
        # pk → [(valid_from, valid_to, path, depth)]: the tree's shape by date (people.DepartmentPlacement).
        self.placements: dict[int, list[tuple]] = placements or {}
        nodes = []
        for department in departments:
            nodes.append(
                DepartmentNode(
                    department.pk, department.code, department.name, department.depth, _ancestors(department.path)
                )
            )
        self._index(nodes)

    def _index(self, nodes: list[DepartmentNode]) -> None:
        self.by_id: dict[int, DepartmentNode] = {node.pk: node for node in nodes}

        def sort_key(node: DepartmentNode):
            return tuple(self.by_id[a].code if a in self.by_id else "" for a in node.ancestor_ids)

        self.nodes: list[DepartmentNode] = sorted(nodes, key=sort_key)
        self.by_code: dict[str, DepartmentNode] = {node.code: node for node in nodes}

    def __len__(self) -> int:
        return len(self.nodes)

    def as_of(self, day: datetime.date) -> DepartmentIndex:
        """The tree as it was on `day`: each department named as then (decision 0039) and under the
        parent it had then (decision 0045), so a past cycle's counts roll up the tree of then; no
        query: the history came with the tree."""
        if not self.history and not self.placements:
            return self
        then = copy.copy(self)
        nodes = []
        for node in self.nodes:
            name = next(
                (
                    name
                    for start, end, name in self.history.get(node.pk, ())
                    if start <= day and (end is None or day < end)
                ),
                node.name,
            )
            place = next(
                (
                    (path, depth)
                    for start, end, path, depth in self.placements.get(node.pk, ())
                    if start <= day and (end is None or day < end)
                ),
                None,
            )
            changes = {"name": name} if name != node.name else {}
            if place is not None and _ancestors(place[0]) != node.ancestor_ids:
                changes.update(ancestor_ids=_ancestors(place[0]), depth=place[1])
            nodes.append(dataclasses.replace(node, **changes) if changes else node)
        then._index(nodes)
        return then

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


def _ancestors(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.strip("/").split("/") if part)


def department_index(*, municipality: Municipality) -> DepartmentIndex:
    """The tree, every department's name history and its place in the tree by date, in one query
    (LEFT JOINs: a department has one row per name and one per place it has had, a handful at
    most, so the rows are their product per department)."""
    departments: dict[int, Department] = {}
    history: dict[int, set[tuple]] = {}
    placements: dict[int, set[tuple]] = {}
    for pk, code, name, path, depth, old_name, start, end, old_path, old_depth, p_start, p_end in (
        Department.objects.filter(municipality=municipality)
        .order_by()
        .values_list(
            "pk",
            "code",
            "name",
            "path",
            "depth",
            "names__name",
            "names__valid_from",
            "names__valid_to",
            "placements__path",
            "placements__depth",
            "placements__valid_from",
            "placements__valid_to",
        )
    ):
        if pk not in departments:
            departments[pk] = Department(pk=pk, code=code, name=name, path=path, depth=depth)
        if old_name is not None:
            history.setdefault(pk, set()).add((start, end, old_name))
        if old_path is not None:
            placements.setdefault(pk, set()).add((p_start, p_end, old_path, old_depth))
    return DepartmentIndex(
        departments.values(),
        {pk: sorted(rows) for pk, rows in history.items()},
        {pk: sorted(rows) for pk, rows in placements.items()},
    )


def names_day(cycle: TrainingCycle | None, as_of: datetime.date) -> datetime.date:
    """The day whose department names a report shows: the report's day, but no later than the end
    of the cycle it is about (last year's report keeps last year's names)."""
    return min(as_of, cycle.closes_on) if cycle is not None else as_of


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
