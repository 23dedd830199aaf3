"""Invariant 2 for reports: HR reaches only their municipality's records and certificates; a 所属長,
an employee and an editor reach no HR report; nothing of another municipality shows anywhere."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.factories import UserFactory
from tests.helpers import refused_as_not_for_staff

from .conftest import export_url, streamed

pytestmark = pytest.mark.django_db

HR_PAGES = [
    ("reports_admin:completion_records", {}),
    ("reports_admin:completion_records", {"export": "csv"}),
    ("reports_admin:completion_records", {"export": "xlsx"}),
    ("reports_admin:completion_records_results", {}),
    ("reports_admin:certificates_zip", {"department": "1000", "fiscal_year": "2025", "subdepartments": "on"}),
    ("reports_admin:verify", {"code": "C00000000001"}),
]


def hr_url(name, params):
    from urllib.parse import urlencode

    return reverse(name) + ("?" + urlencode(params) if params else "")


@pytest.mark.parametrize("viewer", ["employee", "head"])
@pytest.mark.parametrize(("name", "params"), HR_PAGES)
def test_employees_and_department_heads_cannot_open_hr_reports(client, world, records, viewer, name, params):
    client.force_login(getattr(world.people, viewer).user)

    response = client.get(hr_url(name, params))

    # Anyone without admin access gets the page saying what the admin is for, nothing of the report.
    assert refused_as_not_for_staff(response)
    assert not ModelLogEntry.objects.filter(action__startswith="reports.").exists()


@pytest.mark.parametrize("viewer", ["employee", "head"])
def test_nor_any_hr_certificate(client, world, records, viewer):
    client.force_login(getattr(world.people, viewer).user)

    response = client.get(reverse("reports_admin:certificate_pdf", args=[records.colleague.pk]))

    assert refused_as_not_for_staff(response) and b"%PDF" not in response.content


def test_an_admin_user_without_the_reports_permission_is_turned_away(client, world, records):
    """An editor reaches the admin (through an editors' group) but not HR's reports."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="テスト編集者")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    editor = world.people.colleague.user
    editor.groups.add(group)
    client.force_login(editor)

    for name, params in HR_PAGES:
        response = client.get(hr_url(name, params))
        assert response.status_code in (302, 403), name
        assert "芦屋 一郎" not in response.content.decode(errors="replace")
    response = client.get(reverse("reports_admin:certificate_pdf", args=[records.employee.pk]))
    assert response.status_code in (302, 403) and b"%PDF" not in response.content
    assert not ModelLogEntry.objects.filter(action__startswith="reports.").exists()


def test_sukagawa_hr_sees_and_exports_only_sukagawa(client, world, records):
    client.force_login(world.people.s_hr.user)

    page = client.get(export_url()).content.decode()
    rows = list(csv.reader(io.StringIO(streamed(client.get(export_url(export="csv"))).decode("utf-8-sig"))))[1:]

    assert "須賀 花子" in page and "芦屋" not in page
    assert [row[1] for row in rows] == ["須賀 花子"]


def test_asking_for_another_municipality_changes_nothing_for_hr(client, world, records):
    client.force_login(world.people.s_hr.user)

    body = streamed(client.get(export_url(export="csv", municipality="ashiya"))).decode("utf-8-sig")

    assert "須賀 花子" in body and "芦屋" not in body


@pytest.mark.parametrize("record", ["employee", "kakari", "employee_2024"])
def test_sukagawa_hr_gets_404_for_every_ashiya_certificate(client, world, records, record):
    client.force_login(world.people.s_hr.user)

    response = client.get(reverse("reports_admin:certificate_pdf", args=[getattr(records, record).pk]))

    assert response.status_code == 404
    assert b"%PDF" not in response.content


def test_a_platform_admin_chooses_the_municipality(client, world, records):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)

    ashiya_rows = streamed(client.get(export_url(export="csv", municipality="ashiya"))).decode("utf-8-sig")
    sukagawa_rows = streamed(client.get(export_url(export="csv", municipality="sukagawa"))).decode("utf-8-sig")

    assert "芦屋 一郎" in ashiya_rows and "須賀 花子" not in ashiya_rows
    assert "須賀 花子" in sukagawa_rows and "芦屋 一郎" not in sukagawa_rows
    assert client.get(reverse("reports_admin:certificate_pdf", args=[records.s_employee.pk])).status_code == 200


def test_the_reports_menu_shows_only_to_hr(client, world):
    from django.contrib.auth.models import Group, Permission

    client.force_login(world.people.hr.user)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("reports_admin:verify") in page
    assert reverse("reports_admin:completion_records") in page

    group = Group.objects.create(name="テスト編集者")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    world.people.colleague.user.groups.add(group)
    client.force_login(world.people.colleague.user)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "/admin/hr-reports/" not in page
