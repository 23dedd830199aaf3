"""Completing the course inside the cycle completes the assignment, and the completion record
names the cycle; an attestation after the cycle closed completes nothing, and the records of
earlier cycles stay as they were."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
from tests.factories import TrainingCycleFactory
from training.models import Assignment

from .conftest import attest, pass_all

pytestmark = pytest.mark.django_db


def cycle_of_this_year(guideline, **kwargs):
    year = fiscal_year_of(timezone.localdate())
    start, end = fiscal_year_bounds(year)
    values = {"fiscal_year": year, "opens_on": start, "due_on": end, "closes_on": end} | kwargs
    return TrainingCycleFactory(guideline=guideline, **values)


def test_attesting_inside_the_cycle_completes_the_assignment(guideline, chapters, people_ready):
    cycle = cycle_of_this_year(guideline)
    koho = people_ready["koho"]
    pass_all(koho, chapters)

    record = attest(koho, guideline)

    row = Assignment.objects.get(cycle=cycle, staff=koho)
    assert row.completion == record and row.completed_at == record.attested_at
    assert record.cycle == cycle
    others = Assignment.objects.filter(cycle=cycle).exclude(staff=koho)
    assert not others.completed().exists()


def test_attesting_after_the_cycle_closed_completes_nothing(guideline, chapters, people_ready):
    today = timezone.localdate()
    start, _end = fiscal_year_bounds(fiscal_year_of(today))
    if today == start:
        pytest.skip("on 1 April no cycle of this 年度 can have closed yet")
    yesterday = today - datetime.timedelta(days=1)
    cycle = cycle_of_this_year(guideline, due_on=yesterday, closes_on=yesterday)
    koho = people_ready["koho"]
    pass_all(koho, chapters)

    record = attest(koho, guideline)

    assert record.cycle is None
    assert Assignment.objects.get(cycle=cycle, staff=koho).completion is None


def test_a_withdrawn_assignment_is_not_completed(guideline, chapters, people_ready):
    """A person who left cannot attest at all; their withdrawn row stays withdrawn."""
    from quizzes.services import QuizError

    cycle = cycle_of_this_year(guideline)
    koho = people_ready["koho"]
    pass_all(koho, chapters)
    Assignment.objects.filter(cycle=cycle, staff=koho).update(withdrawn_at=timezone.now())

    record = attest(koho, guideline)  # still active: the record is written, no assignment completed

    assert record.cycle is None
    assert Assignment.objects.get(cycle=cycle, staff=koho).completion is None
    with pytest.raises(QuizError):
        from people.models import StaffMember

        StaffMember.objects.filter(pk=koho.pk).update(is_active=False)
        attest(StaffMember.objects.get(pk=koho.pk), guideline)


def test_last_years_cycle_keeps_its_open_assignments(guideline, chapters, people_ready):
    year = fiscal_year_of(timezone.localdate())
    start, end = fiscal_year_bounds(year - 1)
    last_year = TrainingCycleFactory(
        guideline=guideline, fiscal_year=year - 1, opens_on=start, due_on=end, closes_on=end, today=start
    )
    this_year = cycle_of_this_year(guideline)
    koho = people_ready["koho"]
    pass_all(koho, chapters)

    record = attest(koho, guideline)

    assert Assignment.objects.get(cycle=this_year, staff=koho).completion == record
    assert Assignment.objects.get(cycle=last_year, staff=koho).completion is None
