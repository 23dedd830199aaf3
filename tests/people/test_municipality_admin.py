"""Only the platform admin manages municipalities in the Wagtail admin."""

import pytest
from django.contrib.auth.models import Group

from people.models import Municipality
from tests.factories import DepartmentFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_platform_admin_adds_a_municipality(client, ashiya):
    client.force_login(UserFactory(is_superuser=True))
    assert "芦屋市" in client.get("/admin/municipalities/").content.decode()
    assert "282065" in client.get(f"/admin/municipalities/edit/{ashiya.pk}/").content.decode()

    # Adding is onboarding (decision 0038; tests/sns_training/test_onboarding.py): without a letter
    # to download (no passwords), back to the list.
    response = client.post(
        "/admin/municipalities/new/",
        {
            "code": "131016",
            "name": "千代田区",
            "slug": "chiyoda",
            "guideline_title": "千代田区SNSガイドライン",
            "hr_department_code": "2100",
            "hr_department_name": "人事課",
            "hr_staff_number": "000001",
            "hr_name": "千代田 人事",
        },
    )

    assert response.status_code == 302
    assert Municipality.objects.filter(code="131016", name="千代田区").exists()


def test_a_bad_code_is_refused_with_nothing_written(client):
    client.force_login(UserFactory(is_superuser=True))
    response = client.post("/admin/municipalities/new/", {"code": "", "name": "名無し", "slug": "nanashi"})
    assert response.status_code == 200
    assert not Municipality.objects.filter(name="名無し").exists()


@pytest.mark.parametrize("role", ["employee", "department_head", "hr"])
def test_staff_cannot_reach_the_municipality_admin(client, ashiya, role):
    staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya), role=role)
    # Even with admin access (an editor), the municipality views stay closed.
    staff.user.groups.add(_admin_access_group())
    client.force_login(staff.user)

    for url in ("/admin/municipalities/", f"/admin/municipalities/edit/{ashiya.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "282065" not in response.content.decode()
    response = client.post("/admin/municipalities/new/", {"code": "999999", "name": "偽市", "slug": "fake"})
    assert response.status_code in (302, 403)
    assert not Municipality.objects.filter(code="999999").exists()


def _admin_access_group():
    from django.contrib.auth.models import Permission

    group, _ = Group.objects.get_or_create(name="管理画面")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return group
