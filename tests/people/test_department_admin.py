"""「所属の履歴」in the admin (people/department_admin.py): HR renames, merges and abolishes their
own municipality's departments and corrects a person's history start; every role against the
other municipality's departments and people gets no data and changes nothing; GET changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people.models import Department, DepartmentMembership, DepartmentName
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _person(tree, role, *, other=False):
    if other:
        return StaffMemberFactory(
            municipality=tree["s_somu"].municipality, department=tree["s_somu"], role=role, staff_number="004900"
        )
    return StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["jinji"], role=role)


def test_hr_renames_merges_and_retires_from_the_admin(client, tree):
    hr = _person(tree, "hr")
    client.force_login(hr.user)
    index = client.get("/admin/department-history/")
    assert index.status_code == 200
    assert "広報課" in index.content.decode() and "須賀川" not in index.content.decode()
    url = f"/admin/department-history/{tree['koho_kakari'].pk}/"
    response = client.post(url, {"action": "rename", "rename-name": "広報戦略係", "rename-on": TODAY.isoformat()})
    assert response.status_code == 302
    assert Department.objects.get(pk=tree["koho_kakari"].pk).name == "広報戦略係"
    page = client.get(url).content.decode()
    assert "広報係" in page and "広報戦略係" in page  # both names in the history table
    member = StaffMemberFactory(municipality=hr.municipality, department=tree["koho_kakari"])
    response = client.post(url, {"action": "merge", "merge-into": tree["jinji"].pk, "merge-on": TODAY.isoformat()})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.department_id == tree["jinji"].pk
    entry = ModelLogEntry.objects.get(action="people.department_merged")
    assert entry.user_id == hr.user_id
    # Abolishing a department with people is refused in Japanese and writes nothing.
    response = client.post(
        f"/admin/department-history/{tree['jinji'].pk}/", {"action": "retire", "retire-on": TODAY.isoformat()}
    )
    assert response.status_code == 200
    assert "所属する職員がいます" in response.content.decode()
    assert Department.objects.get(pk=tree["jinji"].pk).retired_on is None


def test_hr_corrects_a_start_date_and_a_bad_one_is_refused(client, tree):
    hr = _person(tree, "hr")
    member = StaffMemberFactory(
        municipality=hr.municipality, department=tree["koho"], start_date=datetime.date(2020, 4, 1)
    )
    row = DepartmentMembership.objects.get(staff=member)
    client.force_login(hr.user)
    url = f"/admin/department-history/staff/{member.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"membership": row.pk, "valid_from": "2019-10-01"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.start_date == datetime.date(2019, 10, 1)
    from people import services

    services.staff_transfer(staff=member, department=tree["jinji"], on=datetime.date(2024, 4, 1))
    later = DepartmentMembership.objects.get(staff=member, department=tree["jinji"])
    response = client.post(url, {"membership": later.pk, "valid_from": "2019-01-01"}, follow=True)
    assert "前の所属履歴" in response.content.decode()
    assert DepartmentMembership.objects.get(pk=later.pk).valid_from == datetime.date(2024, 4, 1)


@pytest.mark.parametrize("role", ["hr", "department_head", "employee"])
def test_no_role_reaches_the_other_municipalitys_departments_or_people(client, tree, role):
    viewer = _person(tree, role, other=True)  # of 須賀川市
    victim = StaffMemberFactory(municipality=tree["koho"].municipality, department=tree["koho"])
    client.force_login(viewer.user)
    koho = tree["koho"]
    for url in (f"/admin/department-history/{koho.pk}/", f"/admin/department-history/staff/{victim.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert "広報課" not in response.content.decode()
    client.post(
        f"/admin/department-history/{koho.pk}/",
        {"action": "rename", "rename-name": "乗っ取り課", "rename-on": TODAY.isoformat()},
    )
    row = DepartmentMembership.objects.get(staff=victim)
    client.post(f"/admin/department-history/staff/{victim.pk}/", {"membership": row.pk, "valid_from": "2001-01-01"})
    assert Department.objects.get(pk=koho.pk).name == "広報課"
    assert not DepartmentName.objects.filter(name="乗っ取り課").exists()
    assert DepartmentMembership.objects.get(pk=row.pk).valid_from == row.valid_from
    index = client.get("/admin/department-history/")
    assert "広報課" not in index.content.decode()


@pytest.mark.parametrize("role", ["department_head", "employee"])
def test_staff_without_hr_rights_cannot_change_their_own_municipalitys_departments(client, tree, role):
    viewer = _person(tree, role)
    client.force_login(viewer.user)
    response = client.post(
        f"/admin/department-history/{tree['jinji'].pk}/",
        {"action": "rename", "rename-name": "別名課", "rename-on": TODAY.isoformat()},
    )
    assert response.status_code in (302, 403)
    assert Department.objects.get(pk=tree["jinji"].pk).name == "人事課"
    assert client.get("/admin/department-history/").status_code in (302, 403)
