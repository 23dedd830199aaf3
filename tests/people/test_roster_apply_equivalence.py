"""The roster import writes with bulk statements (people.roster_import._staff_plan_apply) what the
single-person services write one person at a time: on two municipalities set up alike, a roster
that creates, transfers, deactivates and reactivates people leaves exactly the same staff, user,
address, department-history and training-assignment rows as staff_create, staff_transfer,
staff_deactivate and staff_reactivate do."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from people import services
from people.models import DepartmentMembership, StaffMember, User
from tests.factories import (
    DepartmentFactory,
    GuidelinePageFactory,
    MunicipalityFactory,
    StaffMemberFactory,
    TrainingCycleFactory,
    roster_csv,
)
from training.models import Assignment

pytestmark = pytest.mark.django_db


def _city(municipality):
    one = DepartmentFactory(municipality=municipality, code="1100", name="広報課")
    two = DepartmentFactory(municipality=municipality, code="1200", name="秘書課")
    start = datetime.date(2020, 4, 1)
    people = {
        number: StaffMemberFactory(
            municipality=municipality,
            department=one,
            staff_number=number,
            name=f"職員 {number}",
            kana="ショクイン",
            start_date=start,
            email="",
        )
        for number in ("000101", "000102", "000103")
    }
    services.staff_deactivate(staff=people["000103"], on=datetime.date(2025, 3, 31))
    today = timezone.localdate()
    year = today.year if today.month >= 4 else today.year - 1
    TrainingCycleFactory(
        guideline=GuidelinePageFactory(municipality=municipality),
        fiscal_year=year,
        opens_on=datetime.date(year, 4, 1),
        due_on=datetime.date(year + 1, 3, 1),
        closes_on=datetime.date(year + 1, 3, 31),
    )
    return one, two, people


def _rows(municipality) -> dict:
    """Every row the changes touch, without ids, user names or the municipality."""
    staff = StaffMember.objects.filter(municipality=municipality)
    return {
        "staff": sorted(
            staff.values_list(
                "staff_number", "name", "kana", "department__code", "employment_type", "start_date", "is_active", "role"
            )
        ),
        "users": sorted(
            (s.staff_number, s.user.email, s.user.is_active, s.user.first_name, s.user.has_usable_password())
            for s in staff.select_related("user")
        ),
        "addresses": sorted(
            EmailAddress.objects.filter(user__staff_profile__municipality=municipality).values_list(
                "user__staff_profile__staff_number", "email", "primary", "verified"
            )
        ),
        "history": sorted(
            DepartmentMembership.objects.filter(staff__municipality=municipality).values_list(
                "staff__staff_number", "department__code", "valid_from", "valid_to"
            ),
            key=str,
        ),
        "assignments": sorted(
            Assignment.objects.filter(staff__municipality=municipality).values_list(
                "staff__staff_number", "reason", "assigned_on", "due_on", "withdrawn_at__date", "withdrawn_reason"
            ),
            key=str,
        ),
        "logins": User.objects.filter(username__startswith=f"{municipality.code}:").count(),
    }


def test_a_roster_writes_what_the_single_person_services_write():
    by_roster, by_services = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    _one, _two, _people = _city(by_roster)
    hr = StaffMemberFactory(
        municipality=by_roster, department=_one, staff_number="000900", name="人事", email="", role=StaffMember.Role.HR
    )
    one, two, people = _city(by_services)
    StaffMemberFactory(
        municipality=by_services, department=one, staff_number="000900", name="人事", email="", role=StaffMember.Role.HR
    )
    today = timezone.localdate()

    upload = services.roster_import_create(
        municipality=by_roster,
        kind="staff",
        file_name="meibo.csv",
        content=roster_csv(
            "000101,職員 000101,ショクイン,1200,一般職,2020-04-01,,1",
            "000102,職員 000102,ショクイン,1100,一般職,2020-04-01,,0",
            "000103,職員 000103,ショクイン,1100,一般職,2020-04-01,,1",
            "000104,新人 000104,シンジン,1200,会計年度任用職員,2026-04-01,new@example.jp,1",
        ),
        user=hr.user,
    )
    services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)

    services.staff_transfer(staff=people["000101"], department=two, on=today)
    services.staff_deactivate(staff=people["000102"], on=today)
    services.staff_reactivate(staff=people["000103"], department=one, on=today)
    services.staff_create(
        municipality=by_services,
        staff_number="000104",
        name="新人 000104",
        kana="シンジン",
        department=two,
        employment_type=StaffMember.EmploymentType.FISCAL_YEAR,
        start_date=datetime.date(2026, 4, 1),
        email="new-b@example.jp",
    )

    roster_rows, service_rows = _rows(by_roster), _rows(by_services)
    # The new person's address differs by design (one address, one account across the platform).
    service_rows["users"] = [u if u[0] != "000104" else (u[0], "new@example.jp", *u[2:]) for u in service_rows["users"]]
    service_rows["addresses"] = [
        a if a[0] != "000104" else (a[0], "new@example.jp", *a[2:]) for a in service_rows["addresses"]
    ]
    for kind in roster_rows:
        assert roster_rows[kind] == service_rows[kind], kind
