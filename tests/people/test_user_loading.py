"""Loading the logged-in user on each request (people.backends.user_with_staff): one query, the
staff record, department and municipality with it, exactly what the ORM's select_related query
returns, and always the current data although the SQL is compiled once per process."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from people import services
from people.backends import USER_RELATED, StaffAuthenticationBackend, user_with_staff
from people.models import User
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_user_comes_with_staff_department_and_municipality_in_one_query(employee):
    expected = User.objects.select_related(*USER_RELATED).get(pk=employee.user.pk)

    with CaptureQueriesContext(connection) as queries:
        user = user_with_staff(employee.user.pk)
        staff = user.staff_profile
        loaded = (staff.department.name, staff.municipality.name, staff.user is user)

    assert len(queries) == 1
    assert loaded == (employee.department.name, employee.municipality.name, True)
    assert _fields(user) == _fields(expected)
    for mine, theirs in [
        (staff, expected.staff_profile),
        (staff.department, expected.staff_profile.department),
        (staff.municipality, expected.staff_profile.municipality),
    ]:
        assert type(mine) is type(theirs) and _fields(mine) == _fields(theirs)
    assert user._state.db == "default" and not user._state.adding


def test_a_user_without_a_staff_record_has_none_without_another_query():
    admin = UserFactory(is_superuser=True, is_staff=True)

    with CaptureQueriesContext(connection) as queries:
        user = user_with_staff(admin.pk)
        has_staff = hasattr(user, "staff_profile")

    assert (user, has_staff, len(queries)) == (admin, False, 1)


@pytest.mark.parametrize("pk", [987654321, "987654321", "not-a-number", None])
def test_nobody_is_found_for_an_unknown_or_malformed_pk(pk):
    assert user_with_staff(pk) is None


def test_each_load_reads_the_current_data(employee, ashiya):
    assert user_with_staff(employee.user.pk).staff_profile.department == employee.department
    other = DepartmentFactory(municipality=ashiya, name="広報課")

    services.staff_transfer(staff=employee, department=other)

    assert user_with_staff(employee.user.pk).staff_profile.department.name == "広報課"


def test_the_backend_refuses_a_deactivated_person(employee):
    backend = StaffAuthenticationBackend()
    assert backend.get_user(employee.user.pk) == employee.user

    services.staff_deactivate(staff=employee)

    assert backend.get_user(employee.user.pk) is None


def test_a_logged_in_page_loads_the_user_once(client, employee):
    client.force_login(employee.user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("courses:mypage"))

    assert response.status_code == 200
    user_queries = [q["sql"] for q in queries if 'FROM "people_user"' in q["sql"]]
    assert len(user_queries) == 1
