"""Writes for training: opening and changing cycles, keeping assignments true to the roster and
completing them (docs/decisions/0010). Reminders are in training/reminders.py (decision 0011),
re-exported here so that `services.reminders_send` and the like keep their names."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, CharField, DateField, Exists, F, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from people import scoping
from people.models import Department, Municipality, StaffMember
from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_label, fiscal_year_of

from .models import Assignment, TrainingCycle

logger = logging.getLogger(__name__)

BEFORE_DUE_DAYS = 7  # the first reminder, this many days before the due date
OVERDUE_EVERY_DAYS = 7  # then on the due date, and every this many days after it
ESCALATE_AFTER_DAYS = 14  # the 所属長 hears of a person this many days past due
BATCH = 1_000


class TrainingError(Exception):
    """A training write was refused; the message is shown to the user as is. Nothing was written."""


# Cycles ---------------------------------------------------------------------------------------


def _fmt(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _check_dates(*, fiscal_year: int, opens_on, due_on, closes_on) -> None:
    start, end = fiscal_year_bounds(fiscal_year)
    for day in (opens_on, due_on, closes_on):
        if not start <= day <= end:
            raise TrainingError(
                _("日付は%(label)sの範囲（%(start)s〜%(end)s）で指定してください。")
                % {"label": fiscal_year_label(fiscal_year), "start": _fmt(start), "end": _fmt(end)}
            )
    if not opens_on <= due_on <= closes_on:
        raise TrainingError(_("開始日 ≦ 受講期限 ≦ 終了日 としてください。"))


def _check_new_hire_days(days: int) -> None:
    if not 1 <= days <= 365:
        raise TrainingError(_("新規着任者の受講期限は1〜365日で指定してください。"))


def cycle_validate(
    *,
    guideline,
    fiscal_year: int,
    opens_on: datetime.date,
    due_on: datetime.date,
    closes_on: datetime.date,
    employment_types: Sequence[str] = (),
    departments: Iterable[Department] = (),
    new_hire_due_days: int = 30,
    user=None,
) -> None:
    """Everything cycle_open checks before writing (the admin form shows the same messages)."""
    if user is not None and not scoping.is_within_municipality(user, guideline.municipality_id):
        raise TrainingError(_("このガイドラインの研修サイクルは作成できません。"))
    _check_dates(fiscal_year=fiscal_year, opens_on=opens_on, due_on=due_on, closes_on=closes_on)
    _check_new_hire_days(new_hire_due_days)
    unknown = set(employment_types) - set(StaffMember.EmploymentType.values)
    if unknown:
        raise TrainingError(_("任用形態の指定が正しくありません。"))
    if any(d.municipality_id != guideline.municipality_id for d in departments):
        raise TrainingError(_("対象の所属は、ガイドラインと同じ自治体のものを選んでください。"))
    if TrainingCycle.objects.filter(guideline=guideline, fiscal_year=fiscal_year).exists():
        raise TrainingError(
            _("このガイドラインの%(label)sの研修サイクルは既にあります。") % {"label": fiscal_year_label(fiscal_year)}
        )


def _lock_municipality(municipality_id: int) -> None:
    """Opening a cycle and a roster change of one municipality take turns on its row, so a person
    added while a cycle opens is assigned by one or the other, never missed by both."""
    list(Municipality.objects.filter(pk=municipality_id).order_by().select_for_update().values_list("pk"))


@transaction.atomic
def cycle_open(
    *,
    guideline,
    fiscal_year: int,
    opens_on: datetime.date,
    due_on: datetime.date,
    closes_on: datetime.date,
    employment_types: Sequence[str] = (),
    departments: Iterable[Department] = (),
    new_hire_due_days: int = 30,
    user=None,
    today: datetime.date | None = None,
) -> TrainingCycle:
    """Open a cycle and assign everyone in its audience, in one INSERT … SELECT (memory does not
    grow with the staff count). Whoever already completed the guideline in that 年度 is assigned
    as completed, with that record."""
    departments = list(departments)
    employment_types = sorted(set(employment_types))
    _lock_municipality(guideline.municipality_id)
    cycle_validate(
        guideline=guideline,
        fiscal_year=fiscal_year,
        opens_on=opens_on,
        due_on=due_on,
        closes_on=closes_on,
        employment_types=employment_types,
        departments=departments,
        new_hire_due_days=new_hire_due_days,
        user=user,
    )
    cycle = TrainingCycle(
        municipality_id=guideline.municipality_id,
        guideline=guideline,
        fiscal_year=fiscal_year,
        opens_on=opens_on,
        due_on=due_on,
        closes_on=closes_on,
        employment_types=employment_types,
        new_hire_due_days=new_hire_due_days,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            cycle.save()
    except IntegrityError as exc:  # a concurrent opening of the same cycle won
        raise TrainingError(
            _("このガイドラインの%(label)sの研修サイクルは既にあります。") % {"label": fiscal_year_label(fiscal_year)}
        ) from exc
    cycle.departments.set(departments)
    today = today or timezone.localdate()
    assigned = _assign_audience(cycle, assigned_on=max(today, opens_on), department_paths=[d.path for d in departments])
    log(instance=cycle, action="training.cycle_opened", user=user, data={"assigned": assigned})
    return cycle


def _records_of_year(cycle: TrainingCycle):
    """Completion records that complete an assignment of the cycle: the guideline's, of the cycle's
    年度, attested by its close (one per person and 年度, so one at most)."""
    from quizzes.models import CompletionRecord

    return CompletionRecord.objects.filter(
        guideline_id=cycle.guideline_id, fiscal_year=cycle.fiscal_year, attested_at__date__lte=cycle.closes_on
    ).order_by()


def _assign_audience(cycle: TrainingCycle, *, assigned_on: datetime.date, department_paths: list[str]) -> int:
    """INSERT INTO assignment (…) SELECT … FROM staff WHERE <audience>: one statement, nothing
    loaded into Python. Returns the number of people assigned."""
    records = _records_of_year(cycle).filter(staff_id=OuterRef("pk"))
    select = (
        StaffMember.objects.filter(cycle.audience_q(department_paths=department_paths))
        .order_by()
        .annotate(
            a_cycle=Value(cycle.pk, output_field=BigIntegerField()),
            a_staff=F("pk"),
            a_reason=Value(Assignment.Reason.CYCLE_OPEN.value, output_field=CharField()),
            a_assigned=Value(assigned_on, output_field=DateField()),
            a_due=Value(cycle.due_on, output_field=DateField()),
            a_withdrawn_reason=Value("", output_field=CharField()),
            a_completion=Subquery(records.values("pk")[:1]),
            a_completed=Subquery(records.values("attested_at")[:1]),
        )
        .values_list(
            "a_cycle", "a_staff", "a_reason", "a_assigned", "a_due", "a_withdrawn_reason", "a_completion", "a_completed"
        )
    )
    sql, params = select.query.sql_with_params()
    fields = ("cycle", "staff", "reason", "assigned_on", "due_on", "withdrawn_reason", "completion", "completed_at")
    qn = connection.ops.quote_name
    columns = ", ".join(qn(Assignment._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(Assignment._meta.db_table)} ({columns}) {sql}", params)  # noqa: S608
        return cursor.rowcount


@transaction.atomic
def cycle_update(
    *, cycle: TrainingCycle, due_on: datetime.date, closes_on: datetime.date, new_hire_due_days: int, user=None
) -> TrainingCycle:
    """Move the due or close date of an opened cycle (its guideline, 年度, opening and audience are
    fixed once people are assigned). Due dates follow: nobody's is before the cycle's, or after
    its close."""
    cycle = TrainingCycle.objects.select_for_update().get(pk=cycle.pk)
    _check_dates(fiscal_year=cycle.fiscal_year, opens_on=cycle.opens_on, due_on=due_on, closes_on=closes_on)
    _check_new_hire_days(new_hire_due_days)
    before = {"due_on": cycle.due_on.isoformat(), "closes_on": cycle.closes_on.isoformat()}
    assignments = Assignment.objects.filter(cycle=cycle)
    if due_on < cycle.due_on:
        assignments.filter(due_on=cycle.due_on).update(due_on=due_on)
    else:
        assignments.filter(due_on__lt=due_on).update(due_on=due_on)
    assignments.filter(due_on__gt=closes_on).update(due_on=closes_on)
    cycle.due_on, cycle.closes_on, cycle.new_hire_due_days = due_on, closes_on, new_hire_due_days
    cycle.save(update_fields=["due_on", "closes_on", "new_hire_due_days"])
    log(
        instance=cycle,
        action="training.cycle_changed",
        user=user,
        data={"before": before, "after": {"due_on": due_on.isoformat(), "closes_on": closes_on.isoformat()}},
    )
    return cycle


# Assignments follow the roster ------------------------------------------------------------------


def new_hire_due_on(cycle: TrainingCycle, start: datetime.date) -> datetime.date:
    """`start` + the cycle's days, never before the cycle's own due date (nobody joining gets less
    time than everyone else had) and never after its close (it must be completable in the cycle)."""
    return min(cycle.closes_on, max(cycle.due_on, start + datetime.timedelta(days=cycle.new_hire_due_days)))


def _chunks(items: Sequence[int], size: int = BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _assign(cycle: TrainingCycle, paths: list[str], staff_pks, *, reason: str, on: datetime.date) -> int:
    """Assign those of `staff_pks` in the cycle's audience who have no assignment in it yet."""
    created = 0
    for chunk in _chunks(staff_pks):
        people = list(
            StaffMember.objects.filter(cycle.audience_q(department_paths=paths), pk__in=chunk)
            .exclude(Exists(Assignment.objects.filter(cycle=cycle, staff_id=OuterRef("pk"))))
            .values_list("pk", "start_date")
        )
        records = {
            staff_pk: (record_pk, attested_at)
            for staff_pk, record_pk, attested_at in _records_of_year(cycle)
            .filter(staff_id__in=[pk for pk, _start in people])
            .values_list("staff_id", "pk", "attested_at")
        }
        rows = []
        for pk, start_date in people:
            # A new hire is counted from 着任日; anyone else from the day of the change.
            start = start_date if reason == Assignment.Reason.NEW_HIRE else on
            if start > cycle.closes_on:
                continue  # starts after the cycle: next 年度's cycle will have them
            record_pk, attested_at = records.get(pk, (None, None))
            rows.append(
                Assignment(
                    cycle=cycle,
                    staff_id=pk,
                    reason=reason,
                    assigned_on=max(on, start),
                    due_on=new_hire_due_on(cycle, start),
                    completion_id=record_pk,
                    completed_at=attested_at,
                )
            )
        created += len(Assignment.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def _reinstate(cycle: TrainingCycle, paths: list[str], staff_pks, *, on: datetime.date) -> int:
    """A person active again gets their withdrawn assignment back (same row, same history), due as
    a new hire's counted from today."""
    due_on = new_hire_due_on(cycle, on)
    count = 0
    for chunk in _chunks(staff_pks):
        in_audience = StaffMember.objects.filter(cycle.audience_q(department_paths=paths), pk__in=chunk)
        count += Assignment.objects.filter(
            cycle=cycle, staff__in=in_audience.values("pk"), withdrawn_at__isnull=False
        ).update(
            withdrawn_at=None,
            withdrawn_reason="",
            reason=Assignment.Reason.REACTIVATED,
            assigned_on=on,
            due_on=due_on,
        )
    return count


def _withdraw(cycle: TrainingCycle, staff_pks, *, now: datetime.datetime) -> int:
    """Withdraw the open assignments of people no longer active; completed ones stay completed."""
    count = 0
    for chunk in _chunks(staff_pks):
        count += (
            Assignment.objects.open()
            .filter(cycle=cycle, staff_id__in=chunk)
            .update(withdrawn_at=now, withdrawn_reason=Assignment.WithdrawnReason.DEACTIVATED)
        )
    return count


@transaction.atomic
def assignments_follow_roster(
    *,
    municipality: Municipality,
    on: datetime.date,
    created: Sequence[int] = (),
    transferred: Sequence[int] = (),
    deactivated: Sequence[int] = (),
    reactivated: Sequence[int] = (),
) -> dict[str, int]:
    """Keep every not-yet-closed cycle of the municipality true to a roster change (the receiver of
    people.signals.roster_changed calls this inside the change's transaction). New and returning
    people in a cycle's audience are assigned; a transferee keeps their assignment (and is assigned
    if the move brings them into a cycle's audience); a person who left has their open assignment
    withdrawn, the row kept. Closed cycles are never touched."""
    totals = {"assigned": 0, "reinstated": 0, "withdrawn": 0}
    if not (created or transferred or deactivated or reactivated):
        return totals
    _lock_municipality(municipality.pk)
    now = timezone.now()
    for cycle in TrainingCycle.objects.filter(municipality=municipality).not_closed_on(on).select_related("guideline"):
        paths = list(cycle.departments.values_list("path", flat=True))
        counts = {
            "new_hire": _assign(cycle, paths, created, reason=Assignment.Reason.NEW_HIRE, on=on),
            "transferred": _assign(cycle, paths, transferred, reason=Assignment.Reason.TRANSFERRED, on=on),
            "reinstated": _reinstate(cycle, paths, reactivated, on=on),
            "withdrawn": _withdraw(cycle, deactivated, now=now),
        }
        # Returning people who had no assignment in this cycle are assigned from today.
        counts["reactivated"] = _assign(cycle, paths, reactivated, reason=Assignment.Reason.REACTIVATED, on=on)
        if any(counts.values()):
            log(instance=cycle, action="training.assignments_synced", data={"on": on.isoformat(), **counts})
        totals["assigned"] += counts["new_hire"] + counts["transferred"] + counts["reactivated"]
        totals["reinstated"] += counts["reinstated"]
        totals["withdrawn"] += counts["withdrawn"]
    return totals


# Completion ---------------------------------------------------------------------------------------


def assignment_to_complete(*, staff: StaffMember, guideline, on: datetime.date) -> Assignment | None:
    """The person's open assignment that an attestation today completes, locked: the guideline's
    cycle of today's 年度, not yet closed (quizzes.services.attestation_create calls this)."""
    return (
        Assignment.objects.open()
        .filter(
            staff=staff,
            cycle__guideline=guideline,
            cycle__fiscal_year=fiscal_year_of(on),
            cycle__closes_on__gte=on,
        )
        .select_for_update(of=("self",))
        .order_by("pk")
        .first()
    )


def assignment_complete(*, assignment: Assignment, record) -> Assignment:
    """Mark the assignment completed by the record (inside the attestation's transaction)."""
    assignment.completion = record
    assignment.completed_at = record.attested_at
    assignment.save(update_fields=["completion", "completed_at"])
    return assignment


# Reminders (training/reminders.py), under the names the app's views, tasks and tests use.
from .reminders import (  # noqa: E402
    course_url,
    reminder_due,
    reminder_send_now,
    reminders_deliver,
    reminders_send,
)

__all__ = [
    "TrainingError",
    "assignment_complete",
    "assignment_to_complete",
    "assignments_follow_roster",
    "course_url",
    "cycle_open",
    "cycle_update",
    "cycle_validate",
    "new_hire_due_on",
    "reminder_due",
    "reminder_send_now",
    "reminders_deliver",
    "reminders_send",
]
