"""Permissions that come with the role on the staff record (people/roles.py)."""

from __future__ import annotations

import pytest

from people.models import StaffMember
from tests.factories import MunicipalityFactory, StaffMemberFactory, UserFactory, department_tree
from tests.helpers import refused_as_not_for_staff

pytestmark = pytest.mark.django_db

Role = StaffMember.Role


@pytest.fixture
def jinji():
    ashiya, sukagawa = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    return department_tree(ashiya, sukagawa)["jinji"]


def _fresh(staff):
    from people.models import User

    return User.objects.select_related("staff_profile").get(pk=staff.user_id)


def test_hr_reaches_the_admin_and_the_roster_import(jinji, client):
    hr = StaffMemberFactory(municipality=jinji.municipality, department=jinji, role=Role.HR)
    user = _fresh(hr)
    assert user.has_perm("wagtailadmin.access_admin")
    assert user.has_perm("people.import_roster")
    client.force_login(user)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.DEPARTMENT_HEAD])
def test_other_roles_do_not(jinji, client, role):
    staff = StaffMemberFactory(municipality=jinji.municipality, department=jinji, role=role)
    user = _fresh(staff)
    assert not user.has_perm("wagtailadmin.access_admin")
    assert not user.has_perm("people.import_roster")
    client.force_login(user)
    assert refused_as_not_for_staff(client.get("/admin/"))


def test_the_role_goes_with_the_roster_change(jinji):
    hr = StaffMemberFactory(municipality=jinji.municipality, department=jinji, role=Role.HR)
    StaffMember.objects.filter(pk=hr.pk).update(role=Role.EMPLOYEE)
    assert not _fresh(hr).has_perm("people.import_roster")
    StaffMember.objects.filter(pk=hr.pk).update(role=Role.HR, is_active=False)
    assert not _fresh(hr).has_perm("wagtailadmin.access_admin")


def test_a_user_without_staff_record_gets_nothing_from_roles():
    assert not UserFactory().has_perm("wagtailadmin.access_admin")
