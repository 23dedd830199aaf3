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

from .models import Assignment, AssignmentException, TrainingCycle

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
            a_exemption_reason=Value("", output_field=CharField()),
            a_completion=Subquery(records.values("pk")[:1]),
            a_completed=Subquery(records.values("attested_at")[:1]),
        )
        .values_list(
            "a_cycle",
            "a_staff",
            "a_reason",
            "a_assigned",
            "a_due",
            "a_withdrawn_reason",
            "a_exemption_reason",
            "a_completion",
            "a_completed",
        )
    )
    sql, params = select.query.sql_with_params()
    fields = (
        "cycle",
        "staff",
        "reason",
        "assigned_on",
        "due_on",
        "withdrawn_reason",
        "exemption_reason",
        "completion",
        "completed_at",
    )
    qn = connection.ops.quote_name
    columns = ", ".join(qn(Assignment._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(Assignment._meta.db_table)} ({columns}) {sql}", params)  # noqa: S608
        return cursor.rowcount


@transaction.atomic
def cycle_update(
    *,
    cycle: TrainingCycle,
    due_on: datetime.date,
    closes_on: datetime.date,
    new_hire_due_days: int,
    user=None,
    revision_review_days: int | None = None,
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
    fields = ["due_on", "closes_on", "new_hire_due_days"]
    if revision_review_days is not None:
        # The default due date of a later 改正点の確認 (decision 0037); reviews already made keep theirs.
        if not 1 <= revision_review_days <= 365:
            raise TrainingError(_("改正点の確認の期限は1〜365日で指定してください。"))
        cycle.revision_review_days = revision_review_days
        fields.append("revision_review_days")
    cycle.save(update_fields=fields)
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
        Assignment.objects.active()
        .filter(
            completion__isnull=True,
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


# Exceptions for one person (decision 0030) ---------------------------------------------------------


def exception_scope(user):
    """The assignments whose exceptions `user` may change: HR's (or a platform admin's) of their
    municipality, nobody else's (another municipality's answer 404 in the views)."""
    viewer = scoping.viewer_of(user)
    if not (viewer.platform_admin or viewer.is_hr):
        return Assignment.objects.none()
    return scoping.within_municipality(Assignment.objects.all(), user, field="cycle__municipality_id")


def _locked_assignments(*, user, assignment_ids: Sequence[int]) -> list[Assignment]:
    """The assignments, locked in pk order (lock order 6), every one within the user's scope or
    nothing at all (TrainingError)."""
    ids = sorted(set(assignment_ids))
    if not ids:
        raise TrainingError(_("対象者を選んでください。"))
    rows = list(
        exception_scope(user).filter(pk__in=ids).select_related("cycle").select_for_update(of=("self",)).order_by("pk")
    )
    if len(rows) != len(ids):
        raise TrainingError(_("この受講対象は変更できません。"))
    return rows


def _check_reason(reason: str, note: str) -> None:
    if reason not in Assignment.ExceptionReason.values:
        raise TrainingError(_("理由を選んでください。"))
    if reason == Assignment.ExceptionReason.OTHER and not note.strip():
        raise TrainingError(_("「その他」の場合は備考に理由を書いてください。"))
    if len(note) > 500:
        raise TrainingError(_("備考は500文字以内で書いてください。"))


def _record(assignment: Assignment, *, kind: str, user, reason: str = "", note: str = "", before=None, after=None):
    entry = AssignmentException.objects.create(
        assignment=assignment,
        kind=kind,
        reason=reason,
        note=note,
        due_before=before,
        due_after=after,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    log(
        instance=assignment.cycle,
        action=f"training.assignment_{kind}",
        user=user,
        data={
            "assignment": assignment.pk,
            "staff": assignment.staff_id,
            "reason": reason,
            "note": note,
            "due_before": before.isoformat() if before else None,
            "due_after": after.isoformat() if after else None,
        },
    )
    return entry


@transaction.atomic
def assignments_extend(
    *, user, assignment_ids: Sequence[int], due_on: datetime.date, reason: str, note: str = ""
) -> int:
    """Move the due date of one person or a selection to `due_on` (later than their own, within
    the cycle's close), with a reason. The first due date is kept for undoing. Returns the count."""
    _check_reason(reason, note)
    rows = _locked_assignments(user=user, assignment_ids=assignment_ids)
    for assignment in rows:
        if assignment.withdrawn_at is not None or assignment.completion_id is not None:
            raise TrainingError(_("取消または修了した受講対象の期限は延長できません。"))
        if assignment.exempted_at is not None:
            raise TrainingError(_("免除した受講対象の期限は延長できません。"))
        if not assignment.due_on < due_on <= assignment.cycle.closes_on:
            raise TrainingError(
                _("新しい受講期限は今の期限（%(due)s）より後、サイクルの終了日（%(close)s）までにしてください。")
                % {"due": _fmt(assignment.due_on), "close": _fmt(assignment.cycle.closes_on)}
            )
    for assignment in rows:
        before = assignment.due_on
        if assignment.extended_from is None:
            assignment.extended_from = before
        assignment.due_on = due_on
        assignment.save(update_fields=["due_on", "extended_from"])
        _record(
            assignment,
            kind=AssignmentException.Kind.EXTENDED,
            user=user,
            reason=reason,
            note=note,
            before=before,
            after=due_on,
        )
    return len(rows)


@transaction.atomic
def assignments_extension_undo(*, user, assignment_ids: Sequence[int], note: str = "") -> int:
    """Give the selected people back the due date they had before any extension."""
    rows = _locked_assignments(user=user, assignment_ids=assignment_ids)
    if any(a.extended_from is None for a in rows):
        raise TrainingError(_("期限を延長していない受講対象が含まれています。"))
    for assignment in rows:
        before, assignment.due_on, assignment.extended_from = assignment.due_on, assignment.extended_from, None
        assignment.save(update_fields=["due_on", "extended_from"])
        _record(
            assignment,
            kind=AssignmentException.Kind.EXTENSION_UNDONE,
            user=user,
            note=note,
            before=before,
            after=assignment.due_on,
        )
    return len(rows)


@transaction.atomic
def assignments_exempt(*, user, assignment_ids: Sequence[int], reason: str, note: str = "") -> int:
    """Exempt one person or a selection from this cycle: no reminders, out of the denominator,
    免除 in every report. A completed or withdrawn assignment cannot be exempted."""
    _check_reason(reason, note)
    rows = _locked_assignments(user=user, assignment_ids=assignment_ids)
    for assignment in rows:
        if assignment.withdrawn_at is not None or assignment.completion_id is not None:
            raise TrainingError(_("取消または修了した受講対象は免除できません。"))
        if assignment.exempted_at is not None:
            raise TrainingError(_("既に免除した受講対象が含まれています。"))
    now = timezone.now()
    for assignment in rows:
        assignment.exempted_at, assignment.exemption_reason = now, reason
        assignment.save(update_fields=["exempted_at", "exemption_reason"])
        _record(assignment, kind=AssignmentException.Kind.EXEMPTED, user=user, reason=reason, note=note)
    return len(rows)


@transaction.atomic
def assignments_exemption_undo(*, user, assignment_ids: Sequence[int], note: str = "") -> int:
    """Bring exempted people back into the cycle (their due date as it was)."""
    rows = _locked_assignments(user=user, assignment_ids=assignment_ids)
    if any(a.exempted_at is None for a in rows):
        raise TrainingError(_("免除していない受講対象が含まれています。"))
    for assignment in rows:
        assignment.exempted_at, assignment.exemption_reason = None, ""
        assignment.save(update_fields=["exempted_at", "exemption_reason"])
        _record(assignment, kind=AssignmentException.Kind.EXEMPTION_UNDONE, user=user, note=note)
    return len(rows)


def assignment_note_progress(*, staff: StaffMember, guideline_id: int, on: datetime.date | None = None) -> bool:
    """After a graded attempt: stamp `chapters_passed_at` on the person's open assignment of the
    guideline's cycle of this 年度 once every chapter they are bound by is passed (the pass rule of
    quizzes.rules through quizzes.selectors.course_progress), so 誓約待ち is one column in SQL.
    Returns whether the person has passed every required chapter."""
    from courses.models import GuidelinePage, live_chapters_of
    from quizzes.selectors import course_progress

    on = on or timezone.localdate()
    # Runs inside every quiz submit: only the key (joining the guideline page made compiling the
    # query cost more than the grading itself, bench/run.py --profile).
    assignment_pk = (
        Assignment.objects.active()
        .filter(
            staff=staff,
            completion__isnull=True,
            chapters_passed_at__isnull=True,
            cycle__guideline_id=guideline_id,
            cycle__fiscal_year=fiscal_year_of(on),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if assignment_pk is None:
        return False
    guideline = GuidelinePage.objects.get(pk=guideline_id)
    progress = course_progress(staff=staff, guideline=guideline, chapters=live_chapters_of(guideline))
    if not progress["complete"]:
        return False
    Assignment.objects.filter(pk=assignment_pk, chapters_passed_at__isnull=True).update(
        chapters_passed_at=timezone.now()
    )
    return True


def assignments_note_progress_all(*, on: datetime.date | None = None) -> int:
    """Stamp `chapters_passed_at` for everyone in a running cycle of this 年度 who has already
    passed every chapter they are bound by (data written before the stamp existed, or without
    grading: the demo seed). Per cycle, a batch of people at a time, by the rule of
    training.selectors.chapters_passed_counts (the 所属長 page's). Returns how many were stamped."""
    from quizzes.models import ClauseProgress

    from .selectors import chapters_passed_counts

    on = on or timezone.localdate()
    now = timezone.now()
    stamped = 0
    for cycle in (
        TrainingCycle.objects.filter(fiscal_year=fiscal_year_of(on)).not_closed_on(on).select_related("guideline")
    ):
        candidates = (
            Assignment.objects.active()
            .filter(cycle=cycle, completion__isnull=True, chapters_passed_at__isnull=True)
            .filter(
                Exists(
                    ClauseProgress.objects.filter(
                        staff_id=OuterRef("staff_id"),
                        guideline_id=cycle.guideline_id,
                        fiscal_year=cycle.fiscal_year,
                        state=ClauseProgress.State.MASTERED,
                    )
                )
            )
            .values_list("staff_id", flat=True)
        )
        for chunk in _chunks(candidates):
            people = list(StaffMember.objects.filter(pk__in=chunk))
            counts = chapters_passed_counts(cycle=cycle, staff_ids=chunk, people=people)
            done = [pk for pk, (passed, required) in counts.items() if required and passed == required]
            stamped += Assignment.objects.filter(
                cycle=cycle, staff_id__in=done, chapters_passed_at__isnull=True
            ).update(chapters_passed_at=now)
    return stamped


# Reminders (training/reminders.py), under the names the app's views, tasks and tests use.
from .reminders import (  # noqa: E402
    AlreadyReminded,
    CannotRemind,
    course_url,
    reminder_due,
    reminder_send_now,
    reminders_deliver,
    reminders_send,
    reminders_send_now_all,
)

__all__ = [
    "TrainingError",
    "assignment_complete",
    "assignment_note_progress",
    "assignments_note_progress_all",
    "assignments_exempt",
    "assignments_exemption_undo",
    "assignments_extend",
    "assignments_extension_undo",
    "exception_scope",
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
    "reminders_send_now_all",
    "AlreadyReminded",
    "CannotRemind",
]


# Changes-only retraining (decision 0037), written in training/revisions.py.
from .revisions import (  # noqa: E402
    RevisionError,
    revision_review_confirm,
    revision_reviews_create,
    revision_reviews_create_due,
    revision_reviews_due_set,
)

__all__ = [
    "RevisionError",
    "revision_review_confirm",
    "revision_reviews_create",
    "revision_reviews_create_due",
    "revision_reviews_due_set",
]
