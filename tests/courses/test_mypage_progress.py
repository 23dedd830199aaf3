"""My page: a progress bar per course (required chapters passed), the next step as one button,
and 芦屋市's 業務編 required only of official-account operators, contractors and designated managers."""

from __future__ import annotations

import pytest

from people.models import StaffMember
from quizzes.models import Choice, ClauseProgress, ScenarioQuestion
from tests.factories import ChapterPageFactory, DepartmentFactory, GuidelinePageFactory, StaffMemberFactory, clause
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


def _question(guideline, key):
    question = ScenarioQuestion(
        guideline=guideline,
        external_id=f"q-{key}",
        clause_key=key,
        kind="single",
        situation="場面",
        prompt="問い",
        explanation="解説",
    )
    question.choices = [
        Choice(text="正しい", is_correct=True, feedback="理由", sort_order=0),
        Choice(text="誤り1", is_correct=False, feedback="理由", sort_order=1),
        Choice(text="誤り2", is_correct=False, feedback="理由", sort_order=2),
    ]
    question.save()
    question.save_revision().publish()


@pytest.fixture
def course(ashiya):
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    general = ChapterPageFactory(
        parent=guideline, key="1", number="１", title="全員の章", body=[clause("1", "１", "本文一。")]
    )
    business = ChapterPageFactory(
        parent=guideline,
        key="5",
        number="５",
        title="業務の章",
        part="【業務編】",
        audience="official_account",
        body=[clause("5-1", "(1)", "本文五。")],
    )
    for key in ("1", "5-1"):
        _question(guideline, key)
    return guideline, general, business


def _staff(municipality, **kwargs):
    return StaffMemberFactory(
        municipality=municipality, department=DepartmentFactory(municipality=municipality), **kwargs
    )


def test_an_ordinary_employee_needs_only_the_general_chapter(client, ashiya, course):
    guideline, general, _business = course
    staff = _staff(ashiya)
    client.force_login(staff.user)

    text = visible_text(client.get("/mypage/").content.decode())
    assert "合格した章：1章中 0章" in text
    assert "対象外（任意）" in text
    assert "次へ：１ 全員の章 を読む" in text

    ClauseProgress.objects.create(staff=staff, guideline=guideline, clause_key="1", state="mastered")
    text = visible_text(client.get("/mypage/").content.decode())
    assert "合格した章：1章中 1章" in text
    assert "すべての章に合格しました。" in text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"operates_official_account": True},
        {"employment_type": StaffMember.EmploymentType.CONTRACTOR},
        {"employment_type": StaffMember.EmploymentType.DESIGNATED_MANAGER},
    ],
)
def test_the_business_part_is_required_of_account_operators(client, ashiya, course, kwargs):
    guideline, _general, _business = course
    staff = _staff(ashiya, **kwargs)
    ClauseProgress.objects.create(staff=staff, guideline=guideline, clause_key="1", state="mastered")
    client.force_login(staff.user)

    text = visible_text(client.get("/mypage/").content.decode())

    assert "合格した章：2章中 1章" in text
    assert "次へ：５ 業務の章 を読む" in text
    assert "すべての章に合格しました。" not in text


def test_a_missed_clause_makes_the_next_step_a_retake(client, ashiya, course):
    guideline, general, _business = course
    staff = _staff(ashiya)
    ClauseProgress.objects.create(
        staff=staff, guideline=guideline, clause_key="1", state="missed", first_attempt_missed=True
    )
    from quizzes.models import QuizAttempt

    QuizAttempt.objects.create(staff=staff, guideline=guideline, chapter=general, state="graded", question_count=1)
    client.force_login(staff.user)

    text = visible_text(client.get("/mypage/").content.decode())

    assert "次へ：１ 全員の章 を復習して再挑戦" in text
    assert "受講中" in text
