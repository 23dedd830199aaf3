"""Opening a cycle assigns exactly its audience: everyone active of the municipality, or the chosen
employment types and departments (with their sub-departments); never elected officials or people
who left; never another municipality's staff. Bad input is refused in Japanese, writing nothing."""

from __future__ import annotations

import datetime

import pytest
from wagtail.models import ModelLogEntry

from training.models import Assignment, TrainingCycle
from training.services import TrainingError, cycle_open

from .conftest import CLOSES, DUE, FY, OPENS, attest, pass_all

pytestmark = pytest.mark.django_db


def open_cycle(guideline, **kwargs):
    values = {
        "guideline": guideline,
        "fiscal_year": FY,
        "opens_on": OPENS,
        "due_on": DUE,
        "closes_on": CLOSES,
        "today": OPENS,
    } | kwargs
    return cycle_open(**values)


def assigned(cycle) -> set[str]:
    return set(Assignment.objects.filter(cycle=cycle).values_list("staff__staff_number", flat=True))


ASHIYA_ACTIVE_NOT_ELECTED = {"100001", "110001", "110002", "110003", "111001", "111002", "210001", "200002"}


def test_everyone_active_and_not_elected_of_the_municipality_is_assigned(guideline, people_ready):
    cycle = open_cycle(guideline)

    assert assigned(cycle) == ASHIYA_ACTIVE_NOT_ELECTED
    assert "000001" not in assigned(cycle)  # the elected mayor
    assert "110099" not in assigned(cycle)  # left
    assert "500002" not in assigned(cycle)  # 須賀川市
    row = Assignment.objects.get(cycle=cycle, staff=people_ready["koho"])
    assert (row.reason, row.assigned_on, row.due_on) == ("cycle_open", OPENS, DUE)
    assert row.completion is None and row.withdrawn_at is None
    assert str(cycle) == "令和8年度 芦屋市テストガイドライン"


def test_the_audience_can_be_chosen_employment_types(guideline, people_ready):
    cycle = open_cycle(guideline, employment_types=["fiscal_year"])
    assert assigned(cycle) == {"110003"}


def test_a_chosen_department_includes_its_sub_departments(guideline, people_ready, tree):
    cycle = open_cycle(guideline, departments=[tree["koho"]])
    assert assigned(cycle) == {"110001", "110002", "110003", "111001", "111002"}


def test_types_and_departments_together_narrow_the_audience(guideline, people_ready, tree):
    cycle = open_cycle(guideline, departments=[tree["koho"], tree["somu"]], employment_types=["regular"])
    assert assigned(cycle) == {"110001", "110002", "111001", "111002", "210001", "200002"}


def test_the_special_employment_type_does_not_bring_in_elected_officials(guideline, people_ready):
    cycle = open_cycle(guideline, employment_types=["special"])
    assert assigned(cycle) == set()


def test_opening_is_logged_with_the_count(guideline, people_ready, django_user_model):
    hr = people_ready["hr"].user
    cycle = open_cycle(guideline, user=hr)

    entry = ModelLogEntry.objects.get(action="training.cycle_opened")
    assert entry.object_id == str(cycle.pk) and entry.user_id == hr.pk
    assert entry.data == {"assigned": len(ASHIYA_ACTIVE_NOT_ELECTED)}
    assert cycle.created_by == hr


def test_whoever_completed_earlier_in_the_year_is_assigned_as_completed(guideline, chapters, people_ready):
    """One record per person and 年度: someone who attested before the cycle opened cannot attest
    again, so their assignment is completed by that record."""
    koho = people_ready["koho"]
    pass_all(koho, chapters)
    record = attest(koho, guideline)

    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of

    year = fiscal_year_of(record.attested_at.date())
    start, end = fiscal_year_bounds(year)
    cycle = cycle_open(guideline=guideline, fiscal_year=year, opens_on=start, due_on=end, closes_on=end)

    row = Assignment.objects.get(cycle=cycle, staff=koho)
    assert row.completion == record and row.completed_at == record.attested_at
    assert Assignment.objects.filter(cycle=cycle).completed().count() == 1
    assert record.cycle_id is None  # the evidence is never rewritten


@pytest.mark.parametrize(
    "change, message",
    [
        ({"opens_on": datetime.date(2026, 3, 31)}, "令和8年度の範囲（2026年4月1日〜2027年3月31日）"),
        ({"closes_on": datetime.date(2027, 4, 1)}, "令和8年度の範囲"),
        ({"due_on": datetime.date(2026, 3, 1)}, "令和8年度の範囲"),
        ({"opens_on": datetime.date(2026, 7, 1)}, "開始日 ≦ 受講期限 ≦ 終了日"),
        ({"new_hire_due_days": 0}, "1〜365日"),
        ({"employment_types": ["mayor"]}, "任用形態の指定が正しくありません"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(guideline, people_ready, change, message):
    with pytest.raises(TrainingError, match=message):
        open_cycle(guideline, **change)
    assert not TrainingCycle.objects.exists() and not Assignment.objects.exists()


def test_a_department_of_another_municipality_is_refused(guideline, people_ready, tree):
    with pytest.raises(TrainingError, match="同じ自治体"):
        open_cycle(guideline, departments=[tree["s_somu"]])
    assert not TrainingCycle.objects.exists()


def test_one_cycle_per_guideline_and_year(guideline, people_ready):
    open_cycle(guideline)
    with pytest.raises(TrainingError, match="令和8年度の研修サイクルは既にあります"):
        open_cycle(guideline, due_on=CLOSES)
    assert TrainingCycle.objects.count() == 1
    assert Assignment.objects.count() == len(ASHIYA_ACTIVE_NOT_ELECTED)


def test_hr_cannot_open_a_cycle_for_another_municipalitys_guideline(s_guideline, people_ready):
    with pytest.raises(TrainingError, match="作成できません"):
        open_cycle(s_guideline, fiscal_year=FY, user=people_ready["hr"].user)
    assert not TrainingCycle.objects.exists()


def test_an_earlier_cycle_keeps_its_records(guideline, people_ready):
    """Opening next year's cycle leaves last year's assignments as they were."""
    old = open_cycle(guideline)
    before = list(Assignment.objects.filter(cycle=old).order_by("pk").values())

    open_cycle(
        guideline,
        fiscal_year=2027,
        opens_on=datetime.date(2027, 4, 1),
        due_on=datetime.date(2027, 6, 30),
        closes_on=datetime.date(2028, 3, 31),
    )

    assert list(Assignment.objects.filter(cycle=old).order_by("pk").values()) == before
    assert Assignment.objects.count() == 2 * len(before)


def test_querysets_named_for_intent(guideline, people_ready, tree):
    cycle = open_cycle(guideline)
    on = DUE + datetime.timedelta(days=1)
    total = len(ASHIYA_ACTIVE_NOT_ELECTED)
    assert Assignment.objects.filter(cycle=cycle).active().count() == total
    assert Assignment.objects.filter(cycle=cycle).open().count() == total
    assert Assignment.objects.filter(cycle=cycle).overdue(on).count() == total
    assert Assignment.objects.filter(cycle=cycle).overdue(DUE).count() == 0
    koho_subtree = Assignment.objects.filter(cycle=cycle).in_subtree(tree["koho"])
    assert set(koho_subtree.values_list("staff__staff_number", flat=True)) == {
        "110001",
        "110002",
        "110003",
        "111001",
        "111002",
    }
