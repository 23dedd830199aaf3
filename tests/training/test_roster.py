"""Assignments stay true to the roster: people.signals.roster_changed (sent by the roster import
inside its transaction) assigns new hires and people back at work, keeps a transferee's
assignment and history, withdraws the assignment of someone who left (keeping the row and their
records), and never touches a closed cycle."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from wagtail.models import ModelLogEntry

from people.models import StaffMember
from people.signals import roster_changed
from tests.factories import DepartmentFactory, TrainingCycleFactory
from training.models import Assignment
from training.services import new_hire_due_on

from .conftest import CLOSES, DUE, attest, newcomer, pass_all

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 5, 10)


def send(municipality, *, on=ON, **lists):
    """What the roster import sends, in the transaction that changed the roster."""
    with transaction.atomic():
        roster_changed.send(sender=StaffMember, municipality=municipality, on=on, **lists)


@pytest.fixture
def cycle(guideline, people_ready):
    return TrainingCycleFactory(guideline=guideline, today=datetime.date(2026, 4, 1))


def assignment(cycle, staff) -> Assignment:
    return Assignment.objects.get(cycle=cycle, staff=staff)


class TestNewHire:
    def test_a_new_hire_is_assigned_due_30_days_after_their_start_date(self, cycle, ashiya, tree):
        hire = newcomer(ashiya, tree["koho"], "120001", start_date=datetime.date(2026, 7, 1))

        send(ashiya, created=[hire.pk])

        row = assignment(cycle, hire)
        assert row.reason == "new_hire"
        assert row.due_on == datetime.date(2026, 7, 31)
        assert row.assigned_on == datetime.date(2026, 7, 1)  # from 着任日, not before
        assert ModelLogEntry.objects.filter(action="training.assignments_synced", object_id=str(cycle.pk)).exists()

    def test_the_days_are_a_setting_of_the_cycle(self, guideline, people_ready, ashiya, tree):
        cycle = TrainingCycleFactory(guideline=guideline, new_hire_due_days=60)
        hire = newcomer(ashiya, tree["koho"], "120002", start_date=datetime.date(2026, 7, 1))
        send(ashiya, created=[hire.pk])
        assert assignment(cycle, hire).due_on == datetime.date(2026, 8, 30)

    def test_nobody_gets_less_time_than_the_cycle_gave_everyone(self, cycle, ashiya, tree):
        early = newcomer(ashiya, tree["koho"], "120003", start_date=datetime.date(2026, 4, 15))
        send(ashiya, created=[early.pk])
        assert assignment(cycle, early).due_on == DUE  # not 5月15日
        assert assignment(cycle, early).assigned_on == ON

    def test_the_due_date_never_passes_the_close(self, cycle, ashiya, tree):
        late = newcomer(ashiya, tree["koho"], "120004", start_date=datetime.date(2027, 3, 20))
        send(ashiya, created=[late.pk])
        assert assignment(cycle, late).due_on == CLOSES
        assert new_hire_due_on(cycle, datetime.date(2027, 3, 20)) == CLOSES

    def test_someone_starting_after_the_cycle_closes_waits_for_the_next(self, cycle, ashiya, tree):
        next_year = newcomer(ashiya, tree["koho"], "120005", start_date=datetime.date(2027, 4, 1))
        send(ashiya, created=[next_year.pk])
        assert not Assignment.objects.filter(staff=next_year).exists()

    def test_a_new_hire_outside_the_audience_is_not_assigned(self, guideline, people_ready, ashiya, tree):
        cycle = TrainingCycleFactory(guideline=guideline, departments=[tree["koho"]])
        inside = newcomer(ashiya, tree["koho_kakari"], "120006")
        outside = newcomer(ashiya, tree["somu"], "120007")
        elected = newcomer(ashiya, tree["koho"], "120008", employment_type="special")
        StaffMember.objects.filter(pk=elected.pk).update(elected=True)

        send(ashiya, created=[inside.pk, outside.pk, elected.pk])

        assert set(Assignment.objects.filter(cycle=cycle, reason="new_hire").values_list("staff_id", flat=True)) == {
            inside.pk
        }

    def test_another_municipalitys_signal_does_not_touch_this_cycle(self, cycle, sukagawa, tree):
        hire = newcomer(sukagawa, tree["s_somu"], "520001")
        send(sukagawa, created=[hire.pk])
        assert not Assignment.objects.filter(staff=hire).exists()


class TestTransfer:
    def test_a_transferee_keeps_the_assignment_and_counts_in_the_new_department(self, cycle, people_ready, tree):
        koho = people_ready["koho"]
        before = assignment(cycle, koho)
        StaffMember.objects.filter(pk=koho.pk).update(department=tree["somu"])

        send(koho.municipality, transferred=[koho.pk])

        after = assignment(cycle, koho)
        assert (after.pk, after.due_on, after.reason, after.assigned_on) == (
            before.pk,
            before.due_on,
            before.reason,
            before.assigned_on,
        )
        assert not Assignment.objects.filter(cycle=cycle).in_subtree(tree["koho"]).filter(staff=koho).exists()
        assert Assignment.objects.filter(cycle=cycle).in_subtree(tree["somu"]).filter(staff=koho).exists()

    def test_a_completed_transferee_stays_completed_and_the_record_keeps_the_old_department(
        self, guideline, chapters, people_ready, tree
    ):
        from django.utils import timezone

        from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of

        year = fiscal_year_of(timezone.localdate())
        start, end = fiscal_year_bounds(year)
        cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=start, due_on=end, closes_on=end)
        koho = people_ready["koho"]
        pass_all(koho, chapters)
        record = attest(koho, guideline)
        StaffMember.objects.filter(pk=koho.pk).update(department=tree["somu"])

        send(koho.municipality, transferred=[koho.pk], on=timezone.localdate())

        assert assignment(cycle, koho).completion == record
        record.refresh_from_db()
        assert record.department_name == "広報課"

    def test_a_move_into_a_cycles_audience_assigns_from_the_day_of_the_move(
        self, guideline, people_ready, ashiya, tree
    ):
        cycle = TrainingCycleFactory(guideline=guideline, departments=[tree["koho"]])
        somu = people_ready["somu"]
        assert not Assignment.objects.filter(cycle=cycle, staff=somu).exists()
        StaffMember.objects.filter(pk=somu.pk).update(department=tree["koho_kakari"])

        send(ashiya, transferred=[somu.pk])

        row = assignment(cycle, somu)
        assert (row.reason, row.assigned_on, row.due_on) == ("transferred", ON, DUE)


class TestDeactivation:
    def test_the_assignment_of_someone_who_left_is_withdrawn_and_kept(self, cycle, people_ready):
        koho = people_ready["koho"]
        StaffMember.objects.filter(pk=koho.pk).update(is_active=False)

        send(koho.municipality, deactivated=[koho.pk])

        row = assignment(cycle, koho)
        assert row.withdrawn_at is not None and row.withdrawn_reason == "deactivated"
        assert not Assignment.objects.filter(cycle=cycle).active().filter(staff=koho).exists()
        assert Assignment.objects.filter(cycle=cycle, staff=koho).count() == 1

    def test_a_completed_assignment_and_its_record_stay(self, guideline, chapters, people_ready):
        from django.utils import timezone

        from quizzes.models import CompletionRecord
        from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of

        year = fiscal_year_of(timezone.localdate())
        start, end = fiscal_year_bounds(year)
        cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=start, due_on=end, closes_on=end)
        koho = people_ready["koho"]
        pass_all(koho, chapters)
        record = attest(koho, guideline)
        StaffMember.objects.filter(pk=koho.pk).update(is_active=False)

        send(koho.municipality, deactivated=[koho.pk], on=timezone.localdate())

        row = assignment(cycle, koho)
        assert row.withdrawn_at is None and row.completion == record
        assert CompletionRecord.objects.filter(pk=record.pk).exists()

    def test_someone_back_at_work_gets_the_same_row_back(self, cycle, people_ready):
        koho = people_ready["koho"]
        original = assignment(cycle, koho)
        StaffMember.objects.filter(pk=koho.pk).update(is_active=False)
        send(koho.municipality, deactivated=[koho.pk])
        StaffMember.objects.filter(pk=koho.pk).update(is_active=True)
        back_on = datetime.date(2026, 8, 1)

        send(koho.municipality, reactivated=[koho.pk], on=back_on)

        row = assignment(cycle, koho)
        assert row.pk == original.pk
        assert (row.withdrawn_at, row.reason, row.assigned_on) == (None, "reactivated", back_on)
        assert row.due_on == datetime.date(2026, 8, 31)

    def test_someone_back_who_completed_earlier_this_year_is_assigned_as_completed(
        self, guideline, chapters, people_ready
    ):
        """Attested in spring, left, came back after the cycle opened: one record per 年度, so that
        record completes the new assignment."""
        from django.utils import timezone

        from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of

        koho = people_ready["koho"]
        pass_all(koho, chapters)
        record = attest(koho, guideline)
        StaffMember.objects.filter(pk=koho.pk).update(is_active=False)
        year = fiscal_year_of(timezone.localdate())
        start, end = fiscal_year_bounds(year)
        cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=start, due_on=end, closes_on=end)
        assert not Assignment.objects.filter(cycle=cycle, staff=koho).exists()
        StaffMember.objects.filter(pk=koho.pk).update(is_active=True)

        send(koho.municipality, reactivated=[koho.pk], on=timezone.localdate())

        row = assignment(cycle, koho)
        assert row.reason == "reactivated" and row.completion == record

    def test_someone_back_who_was_never_assigned_is_assigned(self, cycle, people_ready):
        left = people_ready["left"]
        StaffMember.objects.filter(pk=left.pk).update(is_active=True)

        send(left.municipality, reactivated=[left.pk])

        row = assignment(cycle, left)
        assert (row.reason, row.assigned_on, row.due_on) == ("reactivated", ON, DUE)


def test_a_closed_cycle_is_never_touched(guideline, people_ready, ashiya, tree):
    old = TrainingCycleFactory(
        guideline=guideline,
        fiscal_year=2025,
        opens_on=datetime.date(2025, 4, 1),
        due_on=datetime.date(2025, 6, 30),
        closes_on=datetime.date(2026, 3, 31),
        today=datetime.date(2025, 4, 1),
    )
    before = list(Assignment.objects.filter(cycle=old).order_by("pk").values())
    koho = people_ready["koho"]
    hire = newcomer(ashiya, tree["koho"], "120010", start_date=ON)
    StaffMember.objects.filter(pk=koho.pk).update(is_active=False)

    send(ashiya, created=[hire.pk], deactivated=[koho.pk])

    assert list(Assignment.objects.filter(cycle=old).order_by("pk").values()) == before


def test_a_large_import_is_handled_in_chunks(cycle, ashiya, tree):
    """More people than one chunk (1,000), as a spring roster brings: each assigned once."""
    from people.models import User

    department = DepartmentFactory(municipality=ashiya, code="9900", name="大量課")
    users = User.objects.bulk_create([User(username=f"bulk-{i}") for i in range(1_200)])
    staff = StaffMember.objects.bulk_create(
        [
            StaffMember(
                user=user,
                municipality=ashiya,
                staff_number=f"9{i:05d}",
                name=f"大量 {i}",
                department=department,
                start_date=ON,
            )
            for i, user in enumerate(users)
        ]
    )

    send(ashiya, created=[s.pk for s in staff])

    assert Assignment.objects.filter(cycle=cycle, reason="new_hire").count() == 1_200


def test_the_people_services_keep_assignments_true_through_the_signal(cycle, ashiya, tree, people_ready):
    """The same receiver behind people.services' single-person changes (the tests above send the
    signal themselves, as the roster import does)."""
    from people import services as people

    hire = people.staff_create(
        municipality=ashiya,
        staff_number="130001",
        name="新任 太郎",
        department=tree["koho"],
        start_date=datetime.date(2026, 7, 1),
    )
    assert Assignment.objects.filter(cycle=cycle, staff=hire).exists(), "staff_create sends roster_changed"
    assert assignment(cycle, hire).due_on == datetime.date(2026, 7, 31)

    koho = people_ready["koho"]
    people.staff_transfer(staff=koho, department=tree["somu"], on=ON)
    assert assignment(cycle, koho).withdrawn_at is None
    people.staff_deactivate(staff=koho, on=ON)
    assert assignment(cycle, koho).withdrawn_reason == "deactivated"
    people.staff_reactivate(staff=koho, on=datetime.date(2026, 9, 1))
    assert assignment(cycle, koho).withdrawn_at is None
    assert assignment(cycle, koho).due_on == datetime.date(2026, 10, 1)
