"""Twenty submits of one attempt at the same moment (a double click, a retrying browser) grade
it exactly once. Needs real row locks, so PostgreSQL only."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from wagtail.models import ModelLogEntry

from quizzes import services
from quizzes.models import AttemptItem, ClauseProgress, QuizAttempt
from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    MunicipalityFactory,
    QuestionFactory,
    StaffMemberFactory,
)

from .conftest import MULTIPLE, submission

SUBMITS = 20


def _wagtail_seed_ensure() -> None:
    """What Wagtail's migrations seed (a locale, the root page): the flush after an earlier
    transactional test may have emptied them."""
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("grading_path")
def test_twenty_concurrent_submits_grade_the_attempt_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SELECT ... FOR UPDATE); run with DATABASE_URL=postgres://...")
    _wagtail_seed_ensure()
    ashiya = MunicipalityFactory.ashiya()
    staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-test")
    chapter = ChapterPageFactory(parent=guideline, key="3", clause_count=3)
    for n, key in enumerate(chapter.clause_keys()):
        QuestionFactory(guideline=guideline, clause_key=key, kind=MULTIPLE if n == 1 else "single")
    attempt = services.attempt_start(staff=staff, chapter=chapter)
    answers = submission(attempt, right_keys={"3-1", "3-2"})
    user = staff.user
    assert user.staff_profile == staff  # loaded once here, not raced for in the threads

    barrier = threading.Barrier(SUBMITS)
    outcomes: list = []
    lock = threading.Lock()

    def submit():
        try:
            barrier.wait(timeout=30)
            services.attempt_submit(attempt_id=attempt.pk, user=user, submission=answers)
            outcome = "graded"
        except services.AttemptAlreadyGraded:
            outcome = "already graded"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome = repr(exc)
        finally:
            connections.close_all()  # this thread's own connection
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(SUBMITS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already graded"] * (SUBMITS - 1) + ["graded"]
    attempt.refresh_from_db()
    assert attempt.state == QuizAttempt.State.GRADED
    assert (attempt.correct_count, attempt.question_count) == (2, 3)
    assert ModelLogEntry.objects.filter(action="quizzes.attempt_graded", object_id=str(attempt.pk)).count() == 1
    assert sorted(ClauseProgress.objects.filter(staff=staff).values_list("clause_key", "state")) == [
        ("3-1", ClauseProgress.State.MASTERED),
        ("3-2", ClauseProgress.State.MASTERED),
        ("3-3", ClauseProgress.State.MISSED),
    ]
    assert list(AttemptItem.objects.filter(attempt=attempt).values_list("is_correct", flat=True)) == [
        True,
        True,
        False,
    ]


@pytest.mark.django_db(transaction=True)
def test_one_persons_quiz_write_does_not_hold_up_a_colleague():
    """The lock that serialises one person's quiz writes covers their staff row only: while it is
    held, a colleague of the same municipality and department still starts a quiz at once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SELECT ... FOR UPDATE); run with DATABASE_URL=postgres://...")
    _wagtail_seed_ensure()
    ashiya = MunicipalityFactory.ashiya()
    department = DepartmentFactory(municipality=ashiya)
    first = StaffMemberFactory(municipality=ashiya, department=department)
    colleague = StaffMemberFactory(municipality=ashiya, department=department)
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-test")
    chapter = ChapterPageFactory(parent=guideline, key="3", clause_count=1)
    QuestionFactory(guideline=guideline, clause_key=chapter.clause_keys()[0])

    holding, release = threading.Event(), threading.Event()

    def hold_the_first_persons_lock():
        from django.db import transaction

        try:
            with transaction.atomic():
                services._lock_person(first.pk)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_first_persons_lock)
    holder.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        attempt = services.attempt_start(staff=colleague, chapter=chapter)
        assert attempt.staff_id == colleague.pk
    finally:
        release.set()
        holder.join(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
