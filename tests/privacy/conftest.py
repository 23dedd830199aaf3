"""Two municipalities with HR, a 所属長, employees and a retired person who has attempts,
completion records of several 年度, assignments, reminders, exceptions and access-log entries."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from identity.models import AccessEvent
from people import services as people_services
from people.models import StaffMember
from quizzes.models import AttemptItem, QuizAttempt
from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    QuestionFactory,
    StaffMemberFactory,
)
from tests.reports.conftest import make_record
from training.models import Assignment, AssignmentException, ReminderLog, TrainingCycle

Role = StaffMember.Role
TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def at(year, month, day) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, 0, tzinfo=TOKYO)


def attempt_with_answer(staff, guideline, chapter, question, *, when):
    attempt = QuizAttempt.objects.create(
        staff=staff,
        guideline=guideline,
        chapter=chapter,
        state=QuizAttempt.State.GRADED,
        correct_count=1,
        question_count=1,
    )
    QuizAttempt.objects.filter(pk=attempt.pk).update(started_at=when, submitted_at=when)
    correct = question.choices.get(is_correct=True)
    AttemptItem.objects.create(
        attempt=attempt,
        position=1,
        question=question,
        question_version=question.live_revision_id,
        clause_key=question.clause_key,
        choice_order=[c.pk for c in question.choices.all()],
        selected=[correct.pk],
        is_correct=True,
    )
    return attempt


def cycle_of(municipality, guideline, year) -> TrainingCycle:
    return TrainingCycle.objects.create(
        municipality=municipality,
        guideline=guideline,
        fiscal_year=year,
        opens_on=datetime.date(year, 4, 1),
        due_on=datetime.date(year, 6, 30),
        closes_on=datetime.date(year + 1, 3, 31),
    )


@pytest.fixture
def world(ashiya, sukagawa):
    a_hr_dept = DepartmentFactory(municipality=ashiya, code="2000", name="人事課")
    a_koho = DepartmentFactory(municipality=ashiya, code="1100", name="広報課")
    s_dept = DepartmentFactory(municipality=sukagawa, code="2000", name="総務課")

    def staff(number, name, department, municipality=ashiya, role=Role.EMPLOYEE):
        return StaffMemberFactory(
            municipality=municipality, department=department, staff_number=number, name=name, role=role
        )

    people = {
        "a_hr": staff("000001", "芦屋 人事", a_hr_dept, role=Role.HR),
        "a_head": staff("000002", "芦屋 課長", a_koho, role=Role.DEPARTMENT_HEAD),
        "a_emp": staff("000003", "芦屋 職員", a_koho),
        # A name a spreadsheet would run: the disclosure must escape it.
        "a_retired": staff("000104", "=HYPERLINK(1)", a_koho),
        "s_hr": staff("500001", "須賀川 人事", s_dept, municipality=sukagawa, role=Role.HR),
        "s_emp": staff("500002", "須賀川 職員", s_dept, municipality=sukagawa),
    }
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-privacy")
    chapter = ChapterPageFactory(parent=guideline, clause_count=1)
    question = QuestionFactory(guideline=guideline, clause_key="1-1")
    retired = people["a_retired"]
    # Completion records of 年度 2018, 2019, 2023 (the retired person) and 2024 (an employee).
    records = [
        make_record(retired, guideline, fiscal_year=2018),
        make_record(retired, guideline, fiscal_year=2019),
        make_record(retired, guideline, fiscal_year=2023),
        make_record(people["a_emp"], guideline, fiscal_year=2024),
    ]
    old_cycle = cycle_of(ashiya, guideline, 2018)
    assignment = Assignment.objects.create(
        cycle=old_cycle,
        staff=retired,
        reason=Assignment.Reason.CYCLE_OPEN,
        assigned_on=datetime.date(2018, 4, 1),
        due_on=datetime.date(2018, 6, 30),
        completion=records[0],
        completed_at=records[0].completed_at,
    )
    AssignmentException.objects.create(
        assignment=assignment,
        kind=AssignmentException.Kind.EXTENDED,
        note="病気療養のため",
        created_by=people["a_hr"].user,
    )
    AssignmentException.objects.filter(assignment=assignment).update(created_at=at(2018, 5, 1))
    ReminderLog.objects.create(
        cycle=old_cycle,
        staff=retired,
        assignment=assignment,
        kind=ReminderLog.Kind.BEFORE_DUE,
        sent_on=datetime.date(2018, 6, 1),
        recipient=retired.user.email,
        claim=uuid.uuid4(),
        sent_at=at(2018, 6, 1),
    )
    old_attempt = attempt_with_answer(retired, guideline, chapter, question, when=at(2019, 5, 1))
    new_attempt = attempt_with_answer(retired, guideline, chapter, question, when=timezone.now())
    old_event = AccessEvent.objects.create(
        kind=AccessEvent.Kind.LOGIN,
        municipality=ashiya,
        subject=retired.user,
        username=retired.user.username,
        ip_address="192.0.2.1",
    )
    AccessEvent.objects.filter(pk=old_event.pk).update(created_at=at(2019, 5, 1))
    AccessEvent.objects.create(
        kind=AccessEvent.Kind.LOGIN,
        municipality=ashiya,
        subject=retired.user,
        username=retired.user.username,
        ip_address="192.0.2.2",
    )
    people_services.staff_deactivate(staff=retired, on=datetime.date(2025, 3, 31), user=people["a_hr"].user)
    retired.refresh_from_db()
    return {
        **people,
        "a_retired": retired,
        "guideline": guideline,
        "records": records,
        "assignment": assignment,
        "old_attempt": old_attempt,
        "new_attempt": new_attempt,
    }
