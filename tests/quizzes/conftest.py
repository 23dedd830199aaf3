"""Fixtures and small helpers shared by the quiz tests: a 芦屋市 guideline with a chapter of three
clauses, questions on them created as the import creates them, and ways to answer an attempt."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from courses.services import editorial_setup
from quizzes import grading
from quizzes.models import AttemptItem, ClauseProgress, QuizAttempt, ScenarioQuestion
from quizzes.services import Submission
from tests.factories import ChapterPageFactory, ChoiceFactory, GuidelinePageFactory, QuestionFactory, group_member

MULTIPLE = ScenarioQuestion.Kind.MULTIPLE
# quizzes.grading reads and writes through two statements of its own on PostgreSQL and through
# the ORM elsewhere: on PostgreSQL the grading tests run through both.
GRADING_PATHS = (
    ["postgresql", "portable"] if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else ["portable"]
)


@pytest.fixture(params=GRADING_PATHS)
def grading_path(request, monkeypatch) -> str:
    monkeypatch.setattr(grading, "portable_only", request.param == "portable")
    return request.param


@pytest.fixture
def guideline(ashiya):
    return GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")


@pytest.fixture
def chapter(guideline):
    """Chapter 3 with the clauses 3-1, 3-2 and 3-3."""
    return ChapterPageFactory(parent=guideline, key="3", clause_count=3)


@pytest.fixture
def questions(chapter, guideline):
    """One live question per clause: 3-1 and 3-3 pick one answer, 3-2 "all that apply"."""
    return {
        "3-1": QuestionFactory(guideline=guideline, clause_key="3-1"),
        "3-2": QuestionFactory(guideline=guideline, clause_key="3-2", kind=MULTIPLE),
        "3-3": QuestionFactory(guideline=guideline, clause_key="3-3"),
    }


def five_choices() -> list:
    return [ChoiceFactory(is_correct=i == 0) for i in range(5)]


def items_of(attempt) -> list[AttemptItem]:
    return list(attempt.items.select_related("question").prefetch_related("question__choices").order_by("position"))


def right_answer(item) -> tuple[int, ...]:
    return tuple(sorted(c.pk for c in item.question.choices.all() if c.is_correct))


def wrong_answer(item) -> tuple[int, ...]:
    """A wrong choice for "single"; for "all that apply", only one of the correct choices."""
    if item.question.kind == MULTIPLE:
        return right_answer(item)[:1]
    return (next(c.pk for c in item.question.choices.all() if not c.is_correct),)


def submission(attempt, right_keys=()) -> Submission:
    """Answer every item: right for the clause keys in `right_keys`, wrong for the others."""
    items = items_of(attempt)
    return Submission(
        item_ids=tuple(i.pk for i in items),
        answers={i.pk: right_answer(i) if i.clause_key in right_keys else wrong_answer(i) for i in items},
    )


def form_data(submission_: Submission) -> dict:
    """The POST the quiz page sends for a submission."""
    data = {"items": [str(pk) for pk in submission_.item_ids]}
    for pk, chosen in submission_.answers.items():
        data[f"item-{pk}"] = [str(c) for c in chosen]
    return data


def attempt_url(attempt) -> str:
    return reverse("quizzes:attempt", args=[attempt.pk])


def start_url(chapter) -> str:
    return reverse("quizzes:start", args=[chapter.pk])


def progress(staff) -> dict[str, tuple[str, bool]]:
    """Clause key → (state, first_attempt_missed) for one person, this 年度."""
    return {
        p.clause_key: (p.state, p.first_attempt_missed) for p in ClauseProgress.objects.of_year().filter(staff=staff)
    }


def snapshot(attempt) -> tuple:
    """Everything grading writes, to show that a refused request wrote nothing."""
    attempt = QuizAttempt.objects.get(pk=attempt.pk)
    return (
        attempt.state,
        attempt.submitted_at,
        attempt.correct_count,
        attempt.question_count,
        [(i.pk, i.question_version, i.choice_order, i.selected, i.is_correct) for i in attempt.items.all()],
        ClauseProgress.objects.count(),
        QuizAttempt.objects.count(),
        AttemptItem.objects.count(),
        ModelLogEntry.objects.filter(action="quizzes.attempt_graded").count(),
    )


@pytest.fixture
def editorial_world(ashiya, sukagawa):
    """Both cities' guidelines (chapters 3 and 4 of three clauses), their editor and approver
    groups, a question of each, and an editor and an approver of each."""
    ga = GuidelinePageFactory(municipality=ashiya, slug="ashiya-test")
    gs = GuidelinePageFactory(municipality=sukagawa, slug="sukagawa-test")
    ChapterPageFactory(parent=ga, key="3", clause_count=3)
    ChapterPageFactory(parent=gs, key="4", clause_count=3)
    a_editors, a_approvers = editorial_setup(guideline=ga)
    s_editors, s_approvers = editorial_setup(guideline=gs)
    return {
        "ashiya_q": QuestionFactory(guideline=ga, clause_key="3-1", prompt="芦屋の設問：どう対応しますか。"),
        "sukagawa_q": QuestionFactory(guideline=gs, clause_key="4-1", prompt="須賀川の設問：どう対応しますか。"),
        "editor": group_member(ashiya, a_editors),
        "approver": group_member(ashiya, a_approvers),
        "suka_editor": group_member(sukagawa, s_editors),
        "suka_approver": group_member(sukagawa, s_approvers),
        "ga": ga,
        "gs": gs,
    }
