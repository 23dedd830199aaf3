"""Pinned query counts: the quiz page and the review page cost the same for a chapter of 2
clauses as for one of 12 (no query per question or per choice)."""

from __future__ import annotations

import pytest

from quizzes.services import attempt_start
from tests.factories import ChapterPageFactory, QuestionFactory

from .conftest import MULTIPLE, attempt_url, form_data, submission

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10
# The user (with the staff record), the attempt (with chapter and guideline), the items with
# their questions, their choices, the site for {% pageurl %}. The session, the clause index and
# the page tree come from the cache.
QUIZ_PAGE_QUERIES = 5
# Those, the revisions the questions were answered in, and for chapter_passed: the attempt's
# person, the quizzed clauses, the mastered ones. (After a pass, one more: whether the person is
# 誓約待ち, for the main button 次の章へ or 誓約へ進む, decision 0030; still within MAX_QUERIES.)
REVIEW_PAGE_QUERIES = 9


@pytest.fixture
def chapters(guideline):
    small = ChapterPageFactory(parent=guideline, key="2", clause_count=2)
    large = ChapterPageFactory(parent=guideline, key="8", clause_count=12)
    for chapter in (small, large):
        for n, key in enumerate(chapter.clause_keys()):
            QuestionFactory(guideline=guideline, clause_key=key, kind=MULTIPLE if n % 3 == 1 else "single")
    return {2: small, 12: large}


@pytest.mark.parametrize("clauses", [2, 12])
def test_the_quiz_page_costs_the_same_for_any_number_of_questions(
    client, employee, chapters, clauses, django_assert_num_queries
):
    client.force_login(employee.user)
    attempt = attempt_start(staff=employee, chapter=chapters[clauses])
    assert attempt.items.count() == clauses
    assert client.get(attempt_url(attempt)).status_code == 200  # warm-up: fills the tree cache

    with django_assert_num_queries(QUIZ_PAGE_QUERIES):
        response = client.get(attempt_url(attempt))

    assert response.content.decode().count('class="question"') == clauses
    assert QUIZ_PAGE_QUERIES <= MAX_QUERIES


@pytest.mark.parametrize("clauses", [2, 12])
def test_the_review_page_costs_the_same_for_any_number_of_questions(
    client, employee, chapters, clauses, django_assert_num_queries
):
    client.force_login(employee.user)
    attempt = attempt_start(staff=employee, chapter=chapters[clauses])
    assert client.post(attempt_url(attempt), form_data(submission(attempt))).status_code == 302
    assert client.get(attempt_url(attempt)).status_code == 200  # warm-up

    with django_assert_num_queries(REVIEW_PAGE_QUERIES):
        response = client.get(attempt_url(attempt))

    assert response.content.decode().count('class="review ') == clauses
    assert REVIEW_PAGE_QUERIES <= MAX_QUERIES
