"""Fixtures shared by the training tests: 芦屋市's small department tree, a guideline with two
chapters of quizzed clauses, and people in each department."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from courses import versions
from people.models import StaffMember
from quizzes import services as quiz_services
from quizzes.models import ClauseProgress
from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
from tests.factories import (
    ChapterPageFactory,
    GuidelinePageFactory,
    QuestionFactory,
    StaffMemberFactory,
    department_tree,
)

FY = 2026
OPENS = datetime.date(2026, 4, 1)
DUE = datetime.date(2026, 6, 30)
CLOSES = datetime.date(2027, 3, 31)


@pytest.fixture
def tree(ashiya, sukagawa):
    return department_tree(ashiya, sukagawa)


@pytest.fixture
def guideline(ashiya):
    return GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")


@pytest.fixture
def s_guideline(sukagawa):
    return GuidelinePageFactory(municipality=sukagawa, title="須賀川市テストガイドライン", slug="sukagawa-test")


@pytest.fixture
def chapters(guideline):
    """Chapters 1 (clauses 1-1, 1-2) and 2 (2-1, 2-2), one live question per clause."""
    result = []
    for key in ("1", "2"):
        chapter = ChapterPageFactory(parent=guideline, key=key, clause_count=2)
        for clause_key in chapter.clause_keys():
            QuestionFactory(guideline=guideline, clause_key=clause_key)
        result.append(chapter)
    return result


def person(municipality, department, number: str, **kwargs) -> StaffMember:
    return StaffMemberFactory(municipality=municipality, department=department, staff_number=number, **kwargs)


def newcomer(municipality, department, number: str, *, start_date=datetime.date(2026, 4, 1), **kwargs):
    """A person written to the roster without any signal, as the roster import writes its rows
    before it sends roster_changed for them all (the tests send it themselves)."""
    from people.models import User, login_username

    user = User.objects.create(username=login_username(municipality.code, number), email=f"n{number}@example.jp")
    return StaffMember.objects.create(
        user=user,
        municipality=municipality,
        department=department,
        staff_number=number,
        name=kwargs.pop("name", f"新人 {number}"),
        start_date=start_date,
        **kwargs,
    )


@pytest.fixture
def people(ashiya, sukagawa, tree):
    """One or two people per department; the 広報課 and 企画部 heads, HR in 人事課; an elected
    mayor, someone who left, a 会計年度任用職員 and one person without e-mail."""
    return {
        "kikaku_head": person(ashiya, tree["kikaku"], "100001", name="企画 部長", role="department_head"),
        "koho_head": person(ashiya, tree["koho"], "110001", name="広報 課長", role="department_head"),
        "koho": person(ashiya, tree["koho"], "110002", name="広報 一郎"),
        "koho_fy": person(ashiya, tree["koho"], "110003", name="広報 会計", employment_type="fiscal_year"),
        "kakari": person(ashiya, tree["koho_kakari"], "111001", name="広報係 二郎"),
        "kakari_no_mail": person(ashiya, tree["koho_kakari"], "111002", name="広報係 三郎", email=""),
        "hr": person(ashiya, tree["jinji"], "210001", name="人事 花子", role="hr"),
        "somu": person(ashiya, tree["somu"], "200002", name="総務 四郎"),
        "mayor": person(ashiya, tree["kikaku"], "000001", name="芦屋 市長", employment_type="special"),
        "s_head": person(sukagawa, tree["s_somu"], "500001", name="須賀 部長", role="department_head"),
        "s_staff": person(sukagawa, tree["s_somu"], "500002", name="須賀 五郎"),
    }


@pytest.fixture
def people_ready(people):
    """`people` with the mayor marked elected and one person no longer active (as the roster
    import would record them)."""
    StaffMember.objects.filter(pk=people["mayor"].pk).update(elected=True)
    left = person(people["koho"].municipality, people["koho"].department, "110099", name="退職 済子")
    StaffMember.objects.filter(pk=left.pk).update(is_active=False)
    people["left"] = StaffMember.objects.get(pk=left.pk)
    people["mayor"].refresh_from_db()
    return people


def pass_all(staff, chapters) -> None:
    """Every clause of the chapters mastered, as grading records it (ClauseProgress); grading
    itself is the quizzes tests' concern."""
    ClauseProgress.objects.bulk_create(
        [
            ClauseProgress(
                staff=staff, guideline=chapter.guideline, clause_key=key, state=ClauseProgress.State.MASTERED
            )
            for chapter in chapters
            for key in chapter.clause_keys()
        ]
    )


def attest(staff, guideline):
    return quiz_services.attestation_create(
        staff=staff, guideline=guideline, version_shown=versions.current(guideline).label, agreed=True
    )


def this_year_dates() -> tuple[int, datetime.date, datetime.date, datetime.date]:
    """(年度, open, due, close) of a cycle running today: the whole 年度, due ten days ago where
    the 年度 allows it (on 1 April, today)."""
    today = timezone.localdate()
    year = fiscal_year_of(today)
    start, end = fiscal_year_bounds(year)
    return year, start, max(start, today - datetime.timedelta(days=10)), end


def wagtail_seed_ensure() -> None:
    """What Wagtail's migrations seed (a locale, the root page), which an earlier transactional
    test's flush may have emptied."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
