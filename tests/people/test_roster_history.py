"""Department history and the single-person roster services: staff_create, staff_transfer,
staff_deactivate and staff_reactivate keep DepartmentMembership and send roster_changed."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people import services
from people.models import DepartmentMembership, StaffMember
from people.services import PeopleError
from people.signals import roster_changed
from tests.factories import PASSWORD, StaffMemberFactory

pytestmark = pytest.mark.django_db

APRIL = datetime.date(2026, 4, 1)


@pytest.fixture
def signals():
    received = []

    def receiver(sender, signal, **kwargs):
        assert sender is StaffMember
        received.append(kwargs)

    roster_changed.connect(receiver, dispatch_uid="test-history-signal")
    yield received
    roster_changed.disconnect(dispatch_uid="test-history-signal")


def history(staff) -> list[tuple]:
    return [
        (m.department.code, m.valid_from, m.valid_to)
        for m in DepartmentMembership.objects.filter(staff=staff).select_related("department").order_by("valid_from")
    ]


def test_staff_create_opens_the_history_from_the_start_date_and_signals(tree, signals):
    member = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"])
    assert history(member) == [("1100", datetime.date(2020, 4, 1), None)]
    assert signals == [
        {
            "created": [member.pk],
            "transferred": [],
            "deactivated": [],
            "reactivated": [],
            "municipality": member.municipality,
            "on": timezone.localdate(),
        }
    ]


def test_a_transfer_closes_the_old_row_on_the_day_and_opens_the_new_one(tree, signals):
    member = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"])
    hr = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["jinji"], role="hr")
    signals.clear()

    services.staff_transfer(staff=member, department=tree["jinji"], on=APRIL, user=hr.user)

    assert history(member) == [("1100", datetime.date(2020, 4, 1), APRIL), ("2100", APRIL, None)]
    assert (
        DepartmentMembership.objects.on(APRIL - datetime.timedelta(days=1)).get(staff=member).department == tree["koho"]
    )
    assert DepartmentMembership.objects.on(APRIL).get(staff=member).department == tree["jinji"]
    assert StaffMember.objects.get(pk=member.pk).department == tree["jinji"]
    assert [(s["transferred"], s["on"]) for s in signals] == [([member.pk], APRIL)]
    entry = ModelLogEntry.objects.get(action="people.staff_transferred")
    assert (entry.user_id, entry.data["from"], entry.data["to"]) == (hr.user_id, "1100", "2100")


def test_a_second_transfer_on_the_same_day_rewrites_the_days_row(tree):
    member = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"])
    services.staff_transfer(staff=member, department=tree["jinji"], on=APRIL)
    services.staff_transfer(staff=member, department=tree["somu"], on=APRIL)
    assert history(member) == [("1100", datetime.date(2020, 4, 1), APRIL), ("2000", APRIL, None)]


def test_transfer_refusals(tree, sukagawa):
    member = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"])
    with pytest.raises(PeopleError, match="既にその所属にいます"):
        services.staff_transfer(staff=member, department=tree["koho"])
    with pytest.raises(PeopleError, match="所属が別の自治体に属しています"):
        services.staff_transfer(staff=member, department=tree["s_somu"])
    services.staff_deactivate(staff=member)
    with pytest.raises(PeopleError, match="退職者は異動できません"):
        services.staff_transfer(staff=member, department=tree["jinji"])
    assert history(member)[-1][2] == timezone.localdate()


def test_deactivation_ends_log_in_and_history_and_demotes_a_head(tree, signals):
    head = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"], role="department_head")
    signals.clear()

    services.staff_deactivate(staff=head, on=APRIL)

    head.refresh_from_db()
    head.user.refresh_from_db()
    assert (head.is_active, head.user.is_active, head.role) == (False, False, "employee")
    assert authenticate(username=head.user.username, password=PASSWORD) is None
    assert history(head) == [("1100", datetime.date(2020, 4, 1), APRIL)]
    assert [s["deactivated"] for s in signals] == [[head.pk]]
    assert ModelLogEntry.objects.get(action="people.staff_deactivated").data["demoted"] is True
    with pytest.raises(PeopleError, match="既に退職"):
        services.staff_deactivate(staff=head)


def test_someone_leaving_before_their_start_date_leaves_no_history(tree):
    member = StaffMemberFactory(
        municipality=tree["koho"].municipality, department=tree["koho"], start_date=datetime.date(2027, 4, 1)
    )
    services.staff_deactivate(staff=member, on=APRIL)
    assert history(member) == []


def test_hr_cannot_deactivate_themselves(tree):
    hr = StaffMemberFactory(municipality=tree["jinji"].municipality, department=tree["jinji"], role="hr")
    with pytest.raises(PeopleError, match="ご自身を退職にすることはできません"):
        services.staff_deactivate(staff=hr, user=hr.user)
    assert StaffMember.objects.get(pk=hr.pk).is_active


def test_reactivation_reopens_the_history(tree, signals):
    member = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"])
    services.staff_deactivate(staff=member, on=datetime.date(2025, 3, 31))
    signals.clear()

    services.staff_reactivate(staff=member, department=tree["jinji"], on=APRIL)

    member.refresh_from_db()
    assert (member.is_active, member.department.code) == (True, "2100")
    assert authenticate(username=member.user.username, password=PASSWORD) == member.user
    assert history(member) == [
        ("1100", datetime.date(2020, 4, 1), datetime.date(2025, 3, 31)),
        ("2100", APRIL, None),
    ]
    assert [s["reactivated"] for s in signals] == [[member.pk]]
    with pytest.raises(PeopleError, match="既に在職"):
        services.staff_reactivate(staff=member)


def test_one_open_row_per_person_is_enforced_by_the_database(tree):
    from django.db import IntegrityError, transaction

    member = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"])
    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentMembership.objects.create(staff=member, department=tree["jinji"], valid_from=APRIL)
