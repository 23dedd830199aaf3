"""Exceptions for one person (decision 0030): HR extends a due date, exempts, undoes either; every
change logged; another municipality's HR and employees are refused. The status rule gains 免除 and
誓約待ち, and status_on and status_counts agree on a mixed set."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from tests.factories import TrainingCycleFactory
from training import services
from training.models import Assignment, AssignmentException
from training.status import status_counts

from .conftest import CLOSES, DUE, FY, OPENS, attest, pass_all, this_year_dates

pytestmark = pytest.mark.django_db

R = Assignment.ExceptionReason
S = Assignment.Status


@pytest.fixture
def cycle(guideline, chapters, people_ready):
    return TrainingCycleFactory(guideline=guideline, fiscal_year=FY, opens_on=OPENS, due_on=DUE, closes_on=CLOSES)


def row(cycle, staff) -> Assignment:
    return Assignment.objects.get(cycle=cycle, staff=staff)


def status_of(cycle, staff, day):
    return Assignment.objects.with_status(day).get(cycle=cycle, staff=staff).status


def test_hr_extends_one_person_and_undoes_it(cycle, people_ready):
    hr, koho = people_ready["hr"].user, people_ready["koho"]
    a = row(cycle, koho)
    new_due = DUE + datetime.timedelta(days=60)

    assert services.assignments_extend(user=hr, assignment_ids=[a.pk], due_on=new_due, reason=R.CHILDCARE) == 1

    a.refresh_from_db()
    assert (a.due_on, a.extended_from) == (new_due, DUE)
    entry = AssignmentException.objects.get(assignment=a)
    assert (entry.kind, entry.reason, entry.due_before, entry.due_after) == ("extended", R.CHILDCARE, DUE, new_due)
    assert ModelLogEntry.objects.filter(action="training.assignment_extended").count() == 1
    # Past the cycle's due date but within the extension: not overdue.
    assert status_of(cycle, koho, DUE + datetime.timedelta(days=1)) == S.NOT_STARTED

    services.assignments_extension_undo(user=hr, assignment_ids=[a.pk])
    a.refresh_from_db()
    assert (a.due_on, a.extended_from) == (DUE, None)
    assert status_of(cycle, koho, DUE + datetime.timedelta(days=1)) == S.OVERDUE
    assert AssignmentException.objects.filter(assignment=a).count() == 2


def test_extension_of_a_selection_and_its_checks(cycle, people_ready):
    hr = people_ready["hr"].user
    ids = [row(cycle, people_ready[k]).pk for k in ("koho", "kakari", "somu")]
    assert services.assignments_extend(user=hr, assignment_ids=ids, due_on=DUE.replace(month=9), reason=R.LEAVE) == 3
    with pytest.raises(services.TrainingError):  # not later than the current due date
        services.assignments_extend(user=hr, assignment_ids=ids, due_on=DUE, reason=R.LEAVE)
    with pytest.raises(services.TrainingError):  # after the cycle's close
        services.assignments_extend(user=hr, assignment_ids=ids, due_on=CLOSES.replace(year=2028), reason=R.LEAVE)
    with pytest.raises(services.TrainingError):  # その他 needs a note
        services.assignments_extend(user=hr, assignment_ids=ids, due_on=DUE.replace(month=10), reason=R.OTHER)
    services.assignments_extend(
        user=hr, assignment_ids=ids, due_on=DUE.replace(month=10), reason=R.OTHER, note="海外派遣"
    )
    assert set(Assignment.objects.filter(pk__in=ids).values_list("extended_from", flat=True)) == {DUE}


def test_hr_exempts_and_undoes(cycle, people_ready):
    hr, koho = people_ready["hr"].user, people_ready["koho"]
    a = row(cycle, koho)
    day = DUE + datetime.timedelta(days=5)
    before = Assignment.objects.filter(cycle=cycle).aggregate(**status_counts(day))

    services.assignments_exempt(user=hr, assignment_ids=[a.pk], reason=R.SICK, note="診断書あり")

    a.refresh_from_db()
    assert a.exempted_at is not None and a.exemption_reason == R.SICK
    assert status_of(cycle, koho, day) == S.EXEMPT
    after = Assignment.objects.filter(cycle=cycle).aggregate(**status_counts(day))
    assert after["n_total"] == before["n_total"] - 1
    assert after["n_exempt"] == 1 and after["n_overdue"] == before["n_overdue"] - 1
    assert not Assignment.objects.open().filter(pk=a.pk).exists()  # no reminders
    with pytest.raises(services.TrainingError):
        services.assignments_exempt(user=hr, assignment_ids=[a.pk], reason=R.SICK)

    services.assignments_exemption_undo(user=hr, assignment_ids=[a.pk])
    assert status_of(cycle, koho, day) == S.OVERDUE
    kinds = list(AssignmentException.objects.filter(assignment=a).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["exempted", "exemption_undone"]
    assert ModelLogEntry.objects.filter(action__startswith="training.assignment_exempt").count() == 2


def test_another_municipality_and_employees_are_refused(cycle, people_ready):
    a = row(cycle, people_ready["koho"])
    for user in (people_ready["s_head"].user, people_ready["koho_head"].user, people_ready["somu"].user):
        with pytest.raises(services.TrainingError):
            services.assignments_exempt(user=user, assignment_ids=[a.pk], reason=R.LEAVE)
        with pytest.raises(services.TrainingError):
            services.assignments_extend(user=user, assignment_ids=[a.pk], due_on=CLOSES, reason=R.LEAVE)
    # One foreign id in a selection refuses the whole selection, nothing written.
    s_cycle_ids = list(Assignment.objects.exclude(cycle=cycle).values_list("pk", flat=True))
    with pytest.raises(services.TrainingError):
        services.assignments_exempt(user=people_ready["hr"].user, assignment_ids=[a.pk, 10**9], reason=R.LEAVE)
    assert not AssignmentException.objects.exists()
    assert s_cycle_ids is not None


def test_awaiting_attestation_after_every_chapter_is_passed(cycle, guideline, chapters, people_ready):
    koho = people_ready["koho"]
    today = timezone.localdate()
    pass_all(koho, chapters)
    # The stamp is written after a graded attempt (quizzes.services.attempt_submit); call it as it does.
    on = OPENS + datetime.timedelta(days=3)
    assert services.assignment_note_progress(staff=koho, guideline_id=guideline.pk, on=on)
    a = row(cycle, koho)
    assert a.chapters_passed_at is not None
    day = max(today, OPENS)
    if day <= DUE:
        assert status_of(cycle, koho, day) == S.AWAITING_ATTESTATION


def test_not_awaiting_until_every_required_chapter_is_passed(cycle, guideline, chapters, people_ready):
    koho = people_ready["koho"]
    pass_all(koho, chapters[:1])
    assert not services.assignment_note_progress(staff=koho, guideline_id=guideline.pk, on=OPENS)
    assert row(cycle, koho).chapters_passed_at is None


@pytest.mark.parametrize("day_offset", [-30, 0, 1, 40])
def test_status_on_and_status_counts_agree_on_a_mixed_set(cycle, guideline, chapters, people_ready, day_offset):
    """One of each: exempt, extended, awaiting, withdrawn, overdue/not started; both rules count alike."""
    hr = people_ready["hr"].user
    early = timezone.make_aware(datetime.datetime(2026, 5, 1, 12))
    services.assignments_exempt(user=hr, assignment_ids=[row(cycle, people_ready["somu"]).pk], reason=R.LEAVE)
    Assignment.objects.filter(cycle=cycle, staff=people_ready["somu"]).update(exempted_at=early)
    services.assignments_extend(
        user=hr, assignment_ids=[row(cycle, people_ready["kakari"]).pk], due_on=DUE.replace(month=8), reason=R.SICK
    )
    Assignment.objects.filter(cycle=cycle, staff=people_ready["koho"]).update(chapters_passed_at=early)
    Assignment.objects.filter(cycle=cycle, staff=people_ready["koho_fy"]).update(
        chapters_passed_at=early, completed_at=early + datetime.timedelta(days=1)
    )
    Assignment.objects.filter(cycle=cycle, staff=people_ready["kikaku_head"]).update(withdrawn_at=early)
    day = DUE + datetime.timedelta(days=day_offset)

    statuses = Counter(Assignment.objects.filter(cycle=cycle).with_status(day).values_list("status", flat=True))
    counts = Assignment.objects.filter(cycle=cycle).aggregate(**status_counts(day))

    assert counts["n_exempt"] == statuses[S.EXEMPT]
    assert counts["n_completed"] == statuses[S.COMPLETED]
    assert counts["n_overdue"] == statuses[S.OVERDUE]
    assert counts["n_awaiting"] == statuses[S.AWAITING_ATTESTATION]
    assert counts["n_in_progress"] == statuses[S.IN_PROGRESS]
    assert counts["n_total"] == sum(statuses.values()) - statuses[S.WITHDRAWN] - statuses[S.EXEMPT]
    assert statuses[S.EXEMPT] == 1 and statuses[S.COMPLETED] == 1
    if day <= DUE:
        assert statuses[S.AWAITING_ATTESTATION] == 1


def test_attesting_completes_an_awaiting_assignment(guideline, chapters, people_ready):
    # Attesting happens today, so the cycle is this 年度's (the fixture cycle's 年度 passes).
    year, opens, due, closes = this_year_dates()
    cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=opens, due_on=closes, closes_on=closes)
    koho = people_ready["koho"]
    pass_all(koho, chapters)
    services.assignment_note_progress(staff=koho, guideline_id=guideline.pk)
    attest(koho, guideline)
    assert status_of(cycle, koho, timezone.localdate()) == S.COMPLETED


def test_a_withdrawn_person_cannot_be_exempted(cycle, people_ready):
    hr = people_ready["hr"].user
    a = row(cycle, people_ready["koho"])
    Assignment.objects.filter(pk=a.pk).update(withdrawn_at=timezone.now())
    with pytest.raises(services.TrainingError):
        services.assignments_exempt(user=hr, assignment_ids=[a.pk], reason=R.LEAVE)


def test_the_backfill_stamps_those_who_passed_everything(guideline, chapters, people_ready):
    from django.core.management import call_command

    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of

    today = timezone.localdate()
    year = fiscal_year_of(today)
    start, end = fiscal_year_bounds(year)
    cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=start, due_on=end, closes_on=end)
    pass_all(people_ready["koho"], chapters)
    pass_all(people_ready["kakari"], chapters[:1])

    call_command("note_training_progress")

    stamped = set(
        Assignment.objects.filter(cycle=cycle, chapters_passed_at__isnull=False).values_list("staff_id", flat=True)
    )
    assert stamped == {people_ready["koho"].pk}
    assert services.assignments_note_progress_all() == 0  # nobody twice
    assert status_of(cycle, people_ready["koho"], today) == S.AWAITING_ATTESTATION
