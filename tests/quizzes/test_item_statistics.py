"""Item statistics for editors (decision 0019): the discrimination index (do people who master the
rest of the chapter answer the item right more often?) and wrong choices nobody chooses, in the item
analysis report and on the question's edit screen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.services import editorial_setup
from quizzes import services
from quizzes.models import ScenarioQuestion
from reports.queries import items as queries
from tests.factories import QuestionFactory, StaffMemberFactory
from tests.helpers import squeeze, visible_text

from .conftest import submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(ashiya, guideline, chapter, employee):
    """Twelve people answer the chapter once. 3-1 and 3-2 are right for the first six only; 3-3
    is right for every other person, whatever they know: it does not tell who understands.
    A wrong answer is always the first wrong choice, so the second is never chosen."""
    questions = {key: QuestionFactory(guideline=guideline, clause_key=key) for key in chapter.clause_keys()}
    for i in range(12):
        person = StaffMemberFactory(municipality=ashiya, department=employee.department)
        right = ({"3-1", "3-2"} if i < 6 else set()) | ({"3-3"} if i % 2 else set())
        attempt = services.attempt_start(staff=person, chapter=chapter)
        services.attempt_submit(attempt_id=attempt.pk, user=person.user, submission=submission(attempt, right))
    return questions


def test_the_item_analysis_gives_the_discrimination_index_and_unchosen_distractors(answered, guideline):
    stats = {
        s.question.clause_key: s
        for s in queries.item_analysis(questions=ScenarioQuestion.objects.all(), guideline=guideline)
    }

    assert stats["3-1"].discrimination > 0.5 and not stats["3-1"].weak_discrimination
    assert stats["3-3"].discrimination == 0.0 and stats["3-3"].weak_discrimination
    never = answered["3-1"].choices.order_by("sort_order")[2]
    assert [c.text for c in stats["3-1"].unchosen] == [never.text]
    row = next(r for r in queries.item_export_rows(list(stats.values())) if r[1] == "3-3")
    assert row[-2] == 0.0


def test_the_edit_screen_shows_the_statistics(client, answered, guideline, ashiya, employee):
    editors, _approvers = editorial_setup(guideline=guideline)
    editor = StaffMemberFactory(municipality=ashiya, department=employee.department)
    editor.user.groups.add(editors)
    client.force_login(editor.user)

    def screen(key):
        url = reverse("wagtailsnippets_quizzes_scenarioquestion:edit", args=[answered[key].pk])
        return squeeze(visible_text(client.get(url).content.decode()))

    weak, good = screen("3-3"), screen("3-1")
    assert squeeze("回答 12 件、正答率 50.0%") in weak
    assert "要確認：理解している人とそうでない人を区別できていません" in weak
    assert "要確認：理解している人とそうでない人を区別できていません" not in good
    never = answered["3-1"].choices.order_by("sort_order")[2]
    assert "誰も選んでいない誤答" in good and squeeze(never.text) in good.split("誰も選んでいない誤答")[1]


def test_a_question_nobody_answered_says_so_on_its_edit_screen(client, guideline, chapter, ashiya, employee):
    question = QuestionFactory(guideline=guideline, clause_key="3-1")
    editors, _approvers = editorial_setup(guideline=guideline)
    employee.user.groups.add(editors)
    client.force_login(employee.user)

    url = reverse("wagtailsnippets_quizzes_scenarioquestion:edit", args=[question.pk])
    assert "まだ採点された回答がありません。" in client.get(url).content.decode()
