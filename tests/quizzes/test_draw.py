"""The yearly draw (quizzes.services.attempt_start, decision 0019): one person over three 年度 is
never shown an item twice while fresh ones exist, gets a second item on each clause they missed at
the first try last 年度, and is drawn only items of this 年度's pool and of their audience."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from quizzes import services
from quizzes.models import ClauseProgress
from quizzes.services import Submission
from tests.factories import QuestionFactory, StaffMemberFactory

from .conftest import items_of, right_answer, submission, wrong_answer

pytestmark = pytest.mark.django_db

MASTERED, MISSED = ClauseProgress.State.MASTERED, ClauseProgress.State.MISSED


@pytest.fixture
def in_year(monkeypatch):
    """Move the site's clock to a day (noon, JST) of the given 年度 (the draw, the grading and the
    progress of the year all read timezone.now)."""

    def move(year: int, month: int = 6):
        moment = timezone.make_aware(datetime.datetime(year, month, 15, 12))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return move


@pytest.fixture
def bank(guideline, chapter):
    """Six live items on each of the chapter's three clauses, open-ended from 2026."""
    return {
        key: [
            QuestionFactory(guideline=guideline, clause_key=key, external_id=f"bank-{key}-{n}", first_year=2026)
            for n in range(6)
        ]
        for key in chapter.clause_keys()
    }


def _per_clause(attempt) -> Counter:
    return Counter(item.clause_key for item in attempt.items.all())


def _shown(attempt) -> list[int]:
    return [item.question_id for item in attempt.items.all()]


def test_three_years_for_one_person_no_item_twice_and_last_years_misses_asked_twice(employee, chapter, bank, in_year):
    shown: list[int] = []

    in_year(2026)
    first = services.attempt_start(staff=employee, chapter=chapter)
    assert _per_clause(first) == {"3-1": 1, "3-2": 1, "3-3": 1}
    services.attempt_submit(attempt_id=first.pk, user=employee.user, submission=submission(first, {"3-2", "3-3"}))
    retake = services.attempt_start(staff=employee, chapter=chapter)
    assert _per_clause(retake) == {"3-1": 1}
    services.attempt_submit(attempt_id=retake.pk, user=employee.user, submission=submission(retake, {"3-1"}))
    shown += _shown(first) + _shown(retake)

    in_year(2027)
    second = services.attempt_start(staff=employee, chapter=chapter)
    # 3-1 was missed at the first try in 2026 (mastered only on the retake): two items this time.
    assert _per_clause(second) == {"3-1": 2, "3-2": 1, "3-3": 1}
    services.attempt_submit(attempt_id=second.pk, user=employee.user, submission=submission(second, {"3-1", "3-3"}))
    assert ClauseProgress.objects.of_year(2027).get(staff=employee, clause_key="3-1").state == MASTERED
    retake = services.attempt_start(staff=employee, chapter=chapter)
    services.attempt_submit(attempt_id=retake.pk, user=employee.user, submission=submission(retake, {"3-2"}))
    shown += _shown(second) + _shown(retake)

    in_year(2028)
    third = services.attempt_start(staff=employee, chapter=chapter)
    # 2027's first-try miss was 3-2; 3-1 was answered right at once in 2027, so one item again.
    assert _per_clause(third) == {"3-1": 1, "3-2": 2, "3-3": 1}
    shown += _shown(third)

    assert len(shown) == len(set(shown)), "an item was shown twice while fresh ones existed"
    assert len(shown) == 13  # 4 in 2026, 5 in 2027, 4 in 2028: at most 5 of the 6 items of a clause


def test_when_every_item_of_a_clause_was_shown_the_draw_repeats_rather_than_skips(
    employee, chapter, guideline, in_year
):
    in_year(2026)
    only = {key: QuestionFactory(guideline=guideline, clause_key=key) for key in chapter.clause_keys()}
    first = services.attempt_start(staff=employee, chapter=chapter)
    services.attempt_submit(attempt_id=first.pk, user=employee.user, submission=submission(first))

    in_year(2027)
    again = services.attempt_start(staff=employee, chapter=chapter)

    # Every clause was missed; with one item per clause, each is asked once, with that item.
    assert sorted(_shown(again)) == sorted(q.pk for q in only.values())


def test_two_items_on_one_clause_master_it_only_when_both_are_right(employee, chapter, bank, in_year, grading_path):
    in_year(2026)
    first = services.attempt_start(staff=employee, chapter=chapter)
    services.attempt_submit(attempt_id=first.pk, user=employee.user, submission=submission(first, {"3-2", "3-3"}))
    in_year(2027)
    attempt = services.attempt_start(staff=employee, chapter=chapter)
    items = items_of(attempt)
    twice = [item for item in items if item.clause_key == "3-1"]
    assert len(twice) == 2
    answers = {item.pk: right_answer(item) for item in items}
    answers[twice[1].pk] = wrong_answer(twice[1])

    graded = services.attempt_submit(
        attempt_id=attempt.pk, user=employee.user, submission=Submission(tuple(answers), answers)
    )

    assert (graded.correct_count, graded.question_count) == (3, 4)
    progress = {p.clause_key: (p.state, p.first_attempt_missed) for p in ClauseProgress.objects.of_year(2027)}
    assert progress == {"3-1": (MISSED, True), "3-2": (MASTERED, False), "3-3": (MASTERED, False)}


def test_only_items_of_this_years_pool_are_drawn(employee, chapter, guideline, in_year):
    retired = QuestionFactory(guideline=guideline, clause_key="3-1", first_year=2020, last_year=2025)
    current = QuestionFactory(guideline=guideline, clause_key="3-1", first_year=2026, last_year=2026)
    upcoming = QuestionFactory(guideline=guideline, clause_key="3-1", first_year=2027)

    in_year(2026)
    assert _shown(services.attempt_start(staff=employee, chapter=chapter)) == [current.pk]
    in_year(2027)  # last 年度's attempt, left open, is not continued: a new 年度 draws anew
    attempt = services.attempt_start(staff=employee, chapter=chapter)
    assert _shown(attempt) == [upcoming.pk]
    assert retired.pk not in _shown(attempt)


def test_a_clause_with_no_item_in_this_years_pool_is_still_asked(employee, chapter, guideline, in_year):
    old = QuestionFactory(guideline=guideline, clause_key="3-2", first_year=2020, last_year=2024)

    in_year(2026)
    attempt = services.attempt_start(staff=employee, chapter=chapter)

    assert _shown(attempt) == [old.pk]


@pytest.mark.parametrize(
    ("employment_type", "drawn"),
    [
        ("regular", {"all", "official"}),
        ("fiscal_year", {"all", "official"}),
        ("contractor", {"all", "official", "contractors"}),
        ("designated_manager", {"all", "official", "contractors"}),
    ],
)
def test_items_written_for_contractors_go_only_to_contractors(
    ashiya, chapter, guideline, in_year, employment_type, drawn
):
    person = StaffMemberFactory(municipality=ashiya, employment_type=employment_type)
    audiences = ("all", "official", "contractors")
    for n, audience in enumerate(audiences):
        for key in chapter.clause_keys():
            QuestionFactory(guideline=guideline, clause_key=key, audience=audience, external_id=f"a{n}-{key}")
    in_year(2026)

    seen = set()
    for _ in range(6):  # draw repeatedly, never-shown first: every allowed item comes up
        attempt = services.attempt_start(staff=person, chapter=chapter)
        seen |= {item.question.audience for item in attempt.items.select_related("question")}
        services.attempt_submit(attempt_id=attempt.pk, user=person.user, submission=submission(attempt))
        ClauseProgress.objects.all().delete()

    assert seen == drawn


def test_a_clause_with_items_for_another_audience_only_is_still_asked(employee, chapter, guideline, in_year):
    """Better a contractors' scene than a clause that can never be mastered (the pass rule counts it)."""
    only = QuestionFactory(guideline=guideline, clause_key="3-3", audience="contractors")
    mine = QuestionFactory(guideline=guideline, clause_key="3-1")
    QuestionFactory(guideline=guideline, clause_key="3-1", audience="contractors")

    in_year(2026)
    attempt = services.attempt_start(staff=employee, chapter=chapter)

    assert sorted(_shown(attempt)) == sorted([mine.pk, only.pk])
