"""Drawing and grading quiz attempts (quizzes.services) against the real database: which
questions a person gets, in what order, what grading records, and what a retake asks again."""

from __future__ import annotations

import pytest
from wagtail.models import ModelLogEntry

from people.models import StaffMember
from quizzes import services
from quizzes.models import AttemptItem, ClauseProgress, QuizAttempt
from quizzes.services import QuizError, Submission
from sns_training.fiscal_year import current_fiscal_year
from tests.factories import (
    ChapterPageFactory,
    ChoiceFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    QuestionFactory,
    StaffMemberFactory,
    TrainingCycleFactory,
)

from .conftest import MULTIPLE, five_choices, items_of, progress, right_answer, submission, wrong_answer

pytestmark = pytest.mark.django_db

MASTERED = ClauseProgress.State.MASTERED
MISSED = ClauseProgress.State.MISSED


def start(staff, chapter) -> QuizAttempt:
    return services.attempt_start(staff=staff, chapter=chapter)


def submit(staff, attempt, right_keys=()) -> QuizAttempt:
    return services.attempt_submit(
        attempt_id=attempt.pk, user=staff.user, submission=submission(attempt, right_keys=right_keys)
    )


class TestDraw:
    def test_one_live_question_per_clause_and_never_a_draft(self, employee, chapter, guideline):
        live = {
            "3-1": {QuestionFactory(guideline=guideline, clause_key="3-1").pk for _ in range(2)},
            "3-2": {QuestionFactory(guideline=guideline, clause_key="3-2").pk},
        }
        drafts = {
            QuestionFactory(guideline=guideline, clause_key="3-1", publish=False).pk,
            QuestionFactory(guideline=guideline, clause_key="3-2", publish=False).pk,
            # 3-3 has only a draft and a question taken off the site: it is not asked.
            QuestionFactory(guideline=guideline, clause_key="3-3", publish=False).pk,
        }
        withdrawn = QuestionFactory(guideline=guideline, clause_key="3-3")
        withdrawn.unpublish()
        drafts.add(withdrawn.pk)
        assert chapter.clause_keys() == ["3-1", "3-2", "3-3"]

        drawn = set()
        for _ in range(30):
            attempt = start(employee, chapter)
            items = items_of(attempt)
            assert [i.clause_key for i in items] == ["3-1", "3-2"]
            assert [i.position for i in items] == [1, 2]
            assert attempt.question_count == 2
            for item in items:
                assert item.question.pk in live[item.clause_key]
                assert item.question.live and item.question_version == item.question.live_revision_id
            drawn |= {i.question.pk for i in items}
            QuizAttempt.objects.filter(pk=attempt.pk).delete()  # a fresh draw, nothing seen before

        assert not drawn & drafts
        assert drawn == live["3-1"] | live["3-2"]  # both 3-1 questions come up over 30 draws

    def test_a_clause_of_another_guideline_with_the_same_key_is_not_drawn(self, employee, chapter, questions, sukagawa):
        other = GuidelinePageFactory(municipality=sukagawa, slug="sukagawa-test")
        ChapterPageFactory(parent=other, key="3", clause_count=3)
        foreign = QuestionFactory(guideline=other, clause_key="3-1")

        items = items_of(start(employee, chapter))

        assert foreign.pk not in {i.question_id for i in items}
        assert [i.question for i in items] == [questions["3-1"], questions["3-2"], questions["3-3"]]

    def test_choices_are_shuffled_per_draw(self, employee, chapter, guideline):
        question = QuestionFactory(guideline=guideline, clause_key="3-1", choices=five_choices())
        choice_ids = sorted(question.choices.values_list("pk", flat=True))

        orders = set()
        for _ in range(30):
            attempt = start(employee, chapter)
            (item,) = attempt.items.all()
            assert sorted(item.choice_order) == choice_ids  # every choice, each once
            orders.add(tuple(item.choice_order))
            attempt.delete()

        assert len(orders) >= 2

    def test_an_open_attempt_is_continued(self, employee, chapter, questions):
        first = start(employee, chapter)
        order = [i.choice_order for i in first.items.all()]

        again = start(employee, chapter)

        assert again.pk == first.pk
        assert QuizAttempt.objects.count() == 1 and AttemptItem.objects.count() == 3
        assert [i.choice_order for i in again.items.all()] == order

    def test_an_open_attempt_whose_question_changed_since_is_drawn_anew(self, employee, chapter, questions):
        first = start(employee, chapter)
        edited = questions["3-2"]
        edited.prompt = "編集者が直した問い"
        edited.save_revision().publish()
        edited.refresh_from_db()

        second = start(employee, chapter)

        assert second.pk != first.pk
        item = second.items.get(clause_key="3-2")
        assert item.question_version == edited.live_revision_id
        assert first.items.get(clause_key="3-2").question_version != edited.live_revision_id

    def test_an_open_attempt_whose_question_was_withdrawn_is_drawn_anew(self, employee, chapter, questions):
        first = start(employee, chapter)
        questions["3-3"].unpublish()

        second = start(employee, chapter)

        assert second.pk != first.pk
        assert [i.clause_key for i in second.items.all()] == ["3-1", "3-2"]

    def test_staff_of_another_municipality_are_refused_and_nothing_is_written(self, chapter, questions, sukagawa):
        outsider = StaffMemberFactory(municipality=sukagawa, department=DepartmentFactory(municipality=sukagawa))

        with pytest.raises(QuizError, match="回答できません"):
            start(outsider, chapter)

        assert QuizAttempt.objects.count() == 0 and AttemptItem.objects.count() == 0

    def test_inactive_staff_are_refused_and_nothing_is_written(self, employee, chapter, questions):
        StaffMember.objects.filter(pk=employee.pk).update(is_active=False)
        employee.refresh_from_db()

        with pytest.raises(QuizError, match="回答できません"):
            start(employee, chapter)

        assert QuizAttempt.objects.count() == 0 and AttemptItem.objects.count() == 0

    def test_a_chapter_without_live_questions_is_refused(self, employee, chapter, guideline):
        QuestionFactory(guideline=guideline, clause_key="3-1", publish=False)

        with pytest.raises(QuizError, match="まだ設問がありません"):
            start(employee, chapter)

        assert QuizAttempt.objects.count() == 0


@pytest.mark.usefixtures("grading_path")
class TestGrading:
    def test_a_single_choice_question_is_right_with_the_correct_choice_only(self, employee, chapter, questions):
        attempt = start(employee, chapter)
        items = items_of(attempt)
        one = next(i for i in items if i.clause_key == "3-1")
        three = next(i for i in items if i.clause_key == "3-3")
        answers = {i.pk: right_answer(i) for i in items}
        answers[three.pk] = wrong_answer(three)

        services.attempt_submit(
            attempt_id=attempt.pk,
            user=employee.user,
            submission=Submission(item_ids=tuple(i.pk for i in items), answers=answers),
        )

        one.refresh_from_db()
        three.refresh_from_db()
        assert (one.is_correct, one.selected) == (True, list(right_answer(one)))
        assert (three.is_correct, three.selected) == (False, list(wrong_answer(three)))

    @pytest.mark.parametrize(
        ("picked", "correct"),
        [
            ({"右1", "右2"}, True),  # exactly the correct set
            ({"右1"}, False),  # only part of it
            ({"右1", "右2", "誤1"}, False),  # every correct one and a wrong one
            ({"誤1", "誤2"}, False),
        ],
    )
    def test_all_that_apply_is_right_only_with_exactly_the_correct_set(
        self, employee, chapter, guideline, picked, correct
    ):
        QuestionFactory(
            guideline=guideline,
            clause_key="3-2",
            kind=MULTIPLE,
            choices=[
                ChoiceFactory(text="右1", is_correct=True),
                ChoiceFactory(text="誤1"),
                ChoiceFactory(text="右2", is_correct=True),
                ChoiceFactory(text="誤2"),
            ],
        )
        attempt = start(employee, chapter)
        (item,) = items_of(attempt)
        chosen = tuple(c.pk for c in item.question.choices.all() if c.text in picked)

        graded = services.attempt_submit(
            attempt_id=attempt.pk, user=employee.user, submission=Submission((item.pk,), {item.pk: chosen})
        )

        item.refresh_from_db()
        assert item.is_correct is correct
        assert sorted(item.selected) == sorted(chosen)
        assert graded.correct_count == int(correct)
        assert progress(employee) == {"3-2": (MASTERED if correct else MISSED, not correct)}

    def test_the_score_counts_correct_answers(self, employee, chapter, questions):
        attempt = start(employee, chapter)

        graded = submit(employee, attempt, right_keys={"3-1", "3-2"})

        graded.refresh_from_db()
        assert graded.state == QuizAttempt.State.GRADED and graded.submitted_at is not None
        assert (graded.correct_count, graded.question_count, graded.score_percent) == (2, 3, 67)
        entry = ModelLogEntry.objects.get(action="quizzes.attempt_graded")
        assert entry.object_id == str(attempt.pk) and entry.user_id == employee.user_id
        assert entry.data == {"chapter": chapter.pk, "correct": 2, "questions": 3}
        # Written without save(), it is still an entry Wagtail's own log() would accept and show.
        entry.full_clean()
        assert entry.message == "設問への回答を採点しました"
        assert list(ModelLogEntry.objects.for_instance(graded)) == [entry]

    def test_right_answers_master_clauses_and_wrong_ones_are_missed(self, employee, chapter, questions):
        submit(employee, start(employee, chapter), right_keys={"3-1"})

        assert progress(employee) == {
            "3-1": (MASTERED, False),
            "3-2": (MISSED, True),
            "3-3": (MISSED, True),
        }

    def test_a_retake_asks_only_the_clauses_not_mastered_and_prefers_unseen_questions(
        self, employee, chapter, guideline, questions
    ):
        spare = {key: QuestionFactory(guideline=guideline, clause_key=key) for key in ("3-1", "3-2", "3-3")}
        first = start(employee, chapter)
        seen = {i.clause_key: i.question_id for i in first.items.all()}
        submit(employee, first, right_keys={"3-1"})

        retake = start(employee, chapter)

        items = items_of(retake)
        assert retake.pk != first.pk
        assert [i.clause_key for i in items] == ["3-2", "3-3"]
        for item in items:
            assert item.question_id != seen[item.clause_key]
            assert item.question_id in {questions[item.clause_key].pk, spare[item.clause_key].pk}

        submit(employee, retake, right_keys={"3-2"})
        # Mastered at the second try: still marked as missed at the first.
        assert progress(employee) == {
            "3-1": (MASTERED, False),
            "3-2": (MASTERED, True),
            "3-3": (MISSED, True),
        }
        third = start(employee, chapter)
        assert [i.clause_key for i in third.items.all()] == ["3-3"]

    def test_a_retake_asks_a_seen_question_again_when_there_is_no_other(self, employee, chapter, questions):
        first = start(employee, chapter)
        submit(employee, first, right_keys={"3-1", "3-2"})

        retake = start(employee, chapter)

        (item,) = retake.items.all()
        assert (item.clause_key, item.question_id) == ("3-3", questions["3-3"].pk)

    def test_a_mastered_clause_stays_mastered(self, employee, chapter, questions):
        # Two attempts open at once (the start button pressed twice before the first answered).
        first = start(employee, chapter)
        twin = QuizAttempt.objects.create(
            staff=employee, guideline=first.guideline, chapter=chapter, question_count=first.question_count
        )
        for item in first.items.all():
            item.pk, item.attempt = None, twin
            item.save()
        submit(employee, twin, right_keys={"3-1", "3-2", "3-3"})

        submit(employee, first, right_keys=())

        assert progress(employee) == {key: (MASTERED, False) for key in ("3-1", "3-2", "3-3")}
        assert ClauseProgress.objects.count() == 3

    def test_when_everything_is_mastered_a_retake_is_refused(self, employee, chapter, questions):
        submit(employee, start(employee, chapter), right_keys={"3-1", "3-2", "3-3"})

        with pytest.raises(QuizError, match="すべて習得済み"):
            start(employee, chapter)

    def test_a_new_fiscal_year_starts_from_nothing(self, employee, chapter, questions):
        """Training is annual: last 年度's mastery neither skips this year's questions nor passes
        this year's chapter, and this year's answers are kept apart from it."""
        submit(employee, start(employee, chapter), right_keys={"3-1", "3-2", "3-3"})
        ClauseProgress.objects.update(fiscal_year=current_fiscal_year() - 1)
        QuizAttempt.objects.update(state=QuizAttempt.State.GRADED)
        assert not services.chapter_passed(staff=employee, chapter=chapter)

        this_year = start(employee, chapter)

        assert sorted(i.clause_key for i in this_year.items.all()) == ["3-1", "3-2", "3-3"]
        submit(employee, this_year, right_keys={"3-1"})
        assert progress(employee) == {"3-1": (MASTERED, False), "3-2": (MISSED, True), "3-3": (MISSED, True)}
        assert ClauseProgress.objects.of_year(current_fiscal_year() - 1).filter(state=MASTERED).count() == 3

    def test_progress_is_per_person(self, employee, chapter, questions, ashiya):
        colleague = StaffMemberFactory(municipality=ashiya, department=employee.department)
        submit(employee, start(employee, chapter), right_keys={"3-1", "3-2", "3-3"})

        items = items_of(start(colleague, chapter))

        assert [i.clause_key for i in items] == ["3-1", "3-2", "3-3"]
        assert progress(colleague) == {}


def _passed_via(entry: str, staff, chapter) -> bool:
    """Whether `chapter` is passed, as one entry point of the one pass rule (quizzes/rules.py)
    decides it: the quiz review, my page, or the 所属長's page (its counts over a guideline
    whose only chapter this is)."""
    from courses.models import live_chapters_of
    from quizzes.selectors import course_progress
    from training.models import TrainingCycle
    from training.selectors import chapters_passed_counts

    if entry == "review":
        return services.chapter_passed(staff=staff, chapter=chapter)
    guideline = chapter.guideline
    if entry == "my_page":
        rows = course_progress(staff=staff, guideline=guideline, chapters=list(live_chapters_of(guideline)))["rows"]
        return next(row["passed"] for row in rows if row["chapter"].pk == chapter.pk)
    cycle = TrainingCycle.objects.filter(guideline=guideline).first() or TrainingCycleFactory(guideline=guideline)
    passed, required = chapters_passed_counts(cycle=cycle, staff_ids=[staff.pk], people=[staff])[staff.pk]
    assert required == 1
    return passed == 1


@pytest.mark.parametrize("entry", ["review", "my_page", "department_page"])
class TestChapterPassed:
    @pytest.fixture
    def five(self, guideline):
        """A chapter of six clauses, five of them with a question (5-6 has none: not counted)."""
        chapter = ChapterPageFactory(parent=guideline, key="5", clause_count=6)
        for n in range(1, 6):
            QuestionFactory(guideline=guideline, clause_key=f"5-{n}")
        return chapter

    @pytest.mark.parametrize(("mastered", "passed"), [(5, True), (4, True), (3, False), (0, False)])
    def test_the_default_pass_mark_is_80_percent_of_the_quizzed_clauses(
        self, employee, five, guideline, mastered, passed, entry
    ):
        assert guideline.pass_mark == 80
        submit(employee, start(employee, five), right_keys={f"5-{n}" for n in range(1, mastered + 1)})

        assert _passed_via(entry, employee, five) is passed

    def test_the_guidelines_pass_mark_applies(self, employee, ashiya, entry):
        lenient = GuidelinePageFactory(municipality=ashiya, slug="ashiya-lenient", pass_mark=60)
        chapter = ChapterPageFactory(parent=lenient, key="5", clause_count=5)
        for n in range(1, 6):
            QuestionFactory(guideline=lenient, clause_key=f"5-{n}")

        submit(employee, start(employee, chapter), right_keys={"5-1", "5-2", "5-3"})

        assert _passed_via(entry, employee, chapter) is True

    def test_a_chapter_without_questions_is_not_passed(self, employee, guideline, entry):
        chapter = ChapterPageFactory(parent=guideline, key="9", clause_count=2)

        assert _passed_via(entry, employee, chapter) is False

    def test_a_clause_that_gets_a_question_later_counts_against_the_pass_mark(self, employee, five, entry):
        submit(employee, start(employee, five), right_keys={"5-1", "5-2", "5-3", "5-4"})
        assert _passed_via(entry, employee, five) is True
        QuestionFactory(guideline=five.guideline, clause_key="5-6")  # a sixth clause gets a question

        # 4 of 6 quizzed clauses mastered: 67% < 80%.
        assert _passed_via(entry, employee, five) is False
