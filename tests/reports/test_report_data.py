"""The known dataset of the HR report tests (tests/reports/test_report_*.py): 芦屋市 and 須賀川市,
a 令和7年度 cycle with people in every status, a transfer, a withdrawal and a late hire, quiz
attempts and answers, clause progress and completion records. Every number the tests expect is
worked out by hand in the docstring of `build`.

Days: AS_OF (2025-06-15, before the due date) and AFTER (2025-07-15, after the due date and after
F's transfer from 広報係 to 人事課 on 2025-07-01).
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from people import services as people_services
from people.models import DepartmentMembership, StaffMember
from quizzes.models import AttemptItem, ClauseProgress, QuizAttempt
from tests.factories import (
    ChapterPageFactory,
    GuidelinePageFactory,
    MunicipalityFactory,
    QuestionFactory,
    StaffMemberFactory,
    department_tree,
)
from training.models import Assignment, TrainingCycle

from .conftest import make_record

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
AS_OF = datetime.date(2025, 6, 15)
AFTER = datetime.date(2025, 7, 15)
TRANSFER_DAY = datetime.date(2025, 7, 1)
Role = StaffMember.Role


def at(day: str, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=TOKYO)


def cycle_create(guideline, year: int, **dates) -> TrainingCycle:
    """A cycle row without the audience assignment of cycle_open: the tests assign by hand."""
    return TrainingCycle.objects.create(
        municipality_id=guideline.municipality_id,
        guideline=guideline,
        fiscal_year=year,
        opens_on=dates.get("opens_on", datetime.date(year, 4, 1)),
        due_on=dates.get("due_on", datetime.date(year, 6, 30)),
        closes_on=dates.get("closes_on", datetime.date(year + 1, 3, 31)),
    )


def assign(cycle, staff, *, on=None, due=None, record=None, withdrawn_at=None) -> Assignment:
    return Assignment.objects.create(
        cycle=cycle,
        staff=staff,
        reason=Assignment.Reason.CYCLE_OPEN,
        assigned_on=on or cycle.opens_on,
        due_on=due or cycle.due_on,
        completion=record,
        completed_at=record.attested_at if record else None,
        withdrawn_at=withdrawn_at,
    )


def attempt(staff, chapter, started: datetime.datetime, answers: dict[str, int], *, questions) -> QuizAttempt:
    """A graded attempt: `answers` maps clause key → index of the chosen choice (0 is correct)."""
    graded = QuizAttempt.objects.create(
        staff=staff,
        guideline=chapter.guideline,
        chapter=chapter,
        state=QuizAttempt.State.GRADED,
        submitted_at=started + datetime.timedelta(minutes=5),
        question_count=len(answers),
        correct_count=sum(1 for index in answers.values() if index == 0),
    )
    QuizAttempt.objects.filter(pk=graded.pk).update(started_at=started)  # auto_now_add
    for position, (key, index) in enumerate(answers.items(), start=1):
        question = questions[key]
        choices = list(question.choices.order_by("sort_order"))
        AttemptItem.objects.create(
            attempt=graded,
            position=position,
            question=question,
            question_version=question.live_revision_id,
            clause_key=key,
            choice_order=[c.pk for c in choices],
            selected=[choices[index].pk],
            is_correct=index == 0,
        )
    return graded


def answers_of(staff) -> list[dict]:
    """The answers a completion record keeps, as quizzes.services.attestation_create writes them."""
    items = AttemptItem.objects.filter(attempt__staff=staff).select_related("attempt", "question")
    return [
        {
            "attempt": item.attempt_id,
            "submitted_at": item.attempt.submitted_at.isoformat(),
            "question": item.question_id,
            "question_id": item.question.external_id,
            "question_version": item.question_version,
            "clause": item.clause_key,
            "selected": item.selected,
            "correct": item.is_correct,
        }
        for item in items.order_by("attempt__submitted_at", "position")
    ]


def progress(staff, guideline, missed_first: dict[str, bool], *, fiscal_year: int = 2025) -> None:
    """Clause progress in the 令和7年度 of the dataset's cycle (another 年度's is not counted)."""
    ClauseProgress.objects.bulk_create(
        [
            ClauseProgress(
                staff=staff,
                guideline=guideline,
                fiscal_year=fiscal_year,
                clause_key=key,
                state=ClauseProgress.State.MASTERED,
                first_attempt_missed=missed,
            )
            for key, missed in missed_first.items()
        ]
    )


def build() -> SimpleNamespace:
    """芦屋市 企画部(1000) › 広報課(1100) › 広報係(1110); 総務部(2000) › 人事課(2100); 須賀川市 総務部(2000).

    令和7年度 cycle (opens 2025-04-01, due 2025-06-30), everyone assigned on 2025-04-01 except G:
      A 00123 広報課   completed 2025-06-02 (record 7/8 → 88), attempts 05-20 (ch.1), 06-01 (ch.2)
      B 00124 広報課   nothing
      C 00125 広報係   attempt 05-10 (ch.1), never completes
      D 00126 総務部   attempt 06-10 (ch.1), completed 06-20
      E 00127 人事課   会計年度任用職員, withdrawn 2025-05-01 (left)
      F 00128 広報係 → 人事課 from 2025-07-01, nothing
      G 00129 広報課   hired 2025-07-01, assigned 07-01, due 07-31, nothing
      H 00300 人事課   HR, attempts 05-15 (ch.1), 05-16 (ch.2), completed 05-20
      K 00200 企画部   所属長, nothing
    As of 2025-06-15: 企画部 5 / 1 completed / 0 overdue / 1 in progress (rate 20.0),
      広報課 4 / 1 / 0 / 1 (25.0), 広報係 2 / 0 / 0 / 1 (0.0), 総務部 2 / 1 / 0 / 1 (50.0),
      人事課 1 / 1 / 0 / 0 (100.0); total 7 / 2 / 0 / 2.
    As of 2025-07-15: 企画部 5 / 1 / 3 (K, B, C), 広報課 4 / 1 / 2, 広報係 1 / 0 / 1,
      総務部 3 / 2 / 1 (66.7), 人事課 2 / 1 / 1 (50.0); total 8 / 3 / 4 / 0.
    First answers missed (ClauseProgress) for 1-1 / 1-2 / 2-1 / 2-2: A T F F F, C T T, D F T,
      H T · T ·, E T (withdrawn: left out). By 部 as of AFTER: 企画部 (A, C) 2/2, 1/2, 0/1, 0/1;
      総務部 (D, H) 1/2, 1/1, 1/1, –. Total 1-1: 3 of 4 = 75.0.
    Item analysis (choice 0 correct of three), 令和7年度: 1-1 A c1, C c1, D c0, H c1 → 1 of 4 right,
      c1 wins (flagged); 1-2 A c0, C c2, D c2 → flagged; 2-1 A c0, H c1 → tie, not flagged; 2-2 A c0.
      B's 2024 attempt (1-1 c0, 1-2 c0) counts in "all years" only: 1-1 then 2 of 5, 1-2 a tie.
    """
    ashiya, sukagawa = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    tree = department_tree(ashiya, sukagawa)

    def staff(number, name, department, role=Role.EMPLOYEE, municipality=ashiya, **kwargs):
        return StaffMemberFactory(
            municipality=municipality, department=department, staff_number=number, name=name, role=role, **kwargs
        )

    p = SimpleNamespace(
        a=staff("00123", "芦屋 一郎", tree["koho"]),
        b=staff("00124", "芦屋 二郎", tree["koho"]),
        c=staff("00125", "芦屋 三郎", tree["koho_kakari"]),
        d=staff("00126", "芦屋 四郎", tree["somu"]),
        e=staff("00127", "芦屋 五郎", tree["jinji"], employment_type=StaffMember.EmploymentType.FISCAL_YEAR),
        f=staff("00128", "芦屋 異動", tree["koho_kakari"]),
        g=staff("00129", "芦屋 新人", tree["koho"], start_date=datetime.date(2025, 7, 1)),
        h=staff("00300", "芦屋 人事", tree["jinji"], Role.HR),
        k=staff("00200", "芦屋 部長", tree["kikaku"], Role.DEPARTMENT_HEAD),
        s=staff("S-0001", "須賀 花子", tree["s_somu"], municipality=sukagawa),
        s_hr=staff("S-0300", "須賀 人事", tree["s_somu"], Role.HR, municipality=sukagawa),
    )
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    s_guideline = GuidelinePageFactory(municipality=sukagawa, title="須賀川市テストガイドライン", slug="sukagawa-test")
    chapters = [ChapterPageFactory(parent=guideline, key=key, clause_count=2) for key in ("1", "2")]
    s_chapter = ChapterPageFactory(parent=s_guideline, key="1", clause_count=1)
    questions = {
        key: QuestionFactory(guideline=guideline, clause_key=key, external_id=f"ashiya-q{key}")
        for chapter in chapters
        for key in chapter.clause_keys()
    }
    s_questions = {"1-1": QuestionFactory(guideline=s_guideline, clause_key="1-1", external_id="sukagawa-q1-1")}

    cycle = cycle_create(guideline, 2025)
    cycle_2024 = cycle_create(guideline, 2024)
    s_cycle = cycle_create(s_guideline, 2025)

    ch1, ch2 = chapters
    attempt(p.a, ch1, at("2025-05-20"), {"1-1": 1, "1-2": 0}, questions=questions)
    attempt(p.a, ch2, at("2025-06-01"), {"2-1": 0, "2-2": 0}, questions=questions)
    attempt(p.c, ch1, at("2025-05-10"), {"1-1": 1, "1-2": 2}, questions=questions)
    attempt(p.d, ch1, at("2025-06-10"), {"1-1": 0, "1-2": 2}, questions=questions)
    attempt(p.h, ch1, at("2025-05-15"), {"1-1": 1}, questions=questions)
    attempt(p.h, ch2, at("2025-05-16"), {"2-1": 1}, questions=questions)
    attempt(p.s, s_chapter, at("2025-06-01"), {"1-1": 1}, questions=s_questions)
    # An attempt from the year before: outside the 令和7年度 cycle, so never counted in it.
    attempt(p.b, ch1, at("2024-09-01"), {"1-1": 0, "1-2": 0}, questions=questions)

    records = SimpleNamespace(
        a=make_record(p.a, guideline, completed_at=at("2025-06-02", 10, 30), cycle=cycle, answers=answers_of(p.a)),
        d=make_record(p.d, guideline, completed_at=at("2025-06-20"), first_try_correct=6, cycle=cycle),
        h=make_record(p.h, guideline, completed_at=at("2025-05-20"), first_try_correct=8, cycle=cycle),
        a_2024=make_record(p.a, guideline, fiscal_year=2024, completed_at=at("2024-06-03"), cycle=cycle_2024),
        s=make_record(p.s, s_guideline, completed_at=at("2025-06-05"), cycle=s_cycle),
    )
    assignments = SimpleNamespace(
        a=assign(cycle, p.a, record=records.a),
        b=assign(cycle, p.b),
        c=assign(cycle, p.c),
        d=assign(cycle, p.d, record=records.d),
        e=assign(cycle, p.e, withdrawn_at=at("2025-05-01", 9)),
        f=assign(cycle, p.f),
        g=assign(cycle, p.g, on=TRANSFER_DAY, due=datetime.date(2025, 7, 31)),
        h=assign(cycle, p.h, record=records.h),
        k=assign(cycle, p.k),
        a_2024=assign(cycle_2024, p.a, record=records.a_2024),
        s=assign(s_cycle, p.s, record=records.s),
    )
    StaffMember.objects.filter(pk=p.e.pk).update(is_active=False)
    people_services.staff_transfer(staff=p.f, department=tree["jinji"], on=TRANSFER_DAY)

    progress(p.a, guideline, {"1-1": True, "1-2": False, "2-1": False, "2-2": False})
    progress(p.c, guideline, {"1-1": True, "1-2": True})
    progress(p.d, guideline, {"1-1": False, "1-2": True})
    progress(p.h, guideline, {"1-1": True, "2-1": True})
    progress(p.e, guideline, {"1-1": True})
    progress(p.s, s_guideline, {"1-1": True})
    # Another 年度's first answers never enter the 令和7年度 heat-map.
    progress(p.b, guideline, {"1-1": True, "2-2": True}, fiscal_year=2024)

    return SimpleNamespace(
        ashiya=ashiya,
        sukagawa=sukagawa,
        tree=tree,
        people=p,
        guideline=guideline,
        s_guideline=s_guideline,
        chapters=chapters,
        questions=questions,
        s_questions=s_questions,
        cycle=cycle,
        cycle_2024=cycle_2024,
        s_cycle=s_cycle,
        records=records,
        assignments=assignments,
    )


def more_departments(data, count: int) -> list:
    """`count` more 課 under 企画部, each with one assigned person (for query-count tests)."""
    from tests.factories import DepartmentFactory

    added = []
    for n in range(count):
        department = DepartmentFactory(
            municipality=data.ashiya, code=f"13{n:02d}", name=f"追加課{n}", parent=data.tree["kikaku"]
        )
        person = StaffMemberFactory(
            municipality=data.ashiya, department=department, staff_number=f"09{n:03d}", name=f"追加 {n}"
        )
        assign(data.cycle, person)
        progress(person, data.guideline, {"1-1": n % 2 == 0})
        added.append(department)
    return added


# --- The dataset itself: what the report tests rely on ---------------------------------------------


@pytest.mark.django_db
def test_the_transfer_is_in_the_department_history_not_only_in_todays_roster():
    data = build()
    f = data.people.f

    history = list(
        DepartmentMembership.objects.filter(staff=f)
        .order_by("valid_from")
        .values_list("department__code", "valid_from", "valid_to")
    )

    assert history == [
        ("1110", datetime.date(2020, 4, 1), TRANSFER_DAY),
        ("2100", TRANSFER_DAY, None),
    ]
    assert StaffMember.objects.get(pk=f.pk).department.code == "2100"
    # Nothing else was assigned by the roster receiver: the cycles hold only the rows built here.
    assert Assignment.objects.filter(cycle=data.cycle).count() == 9
