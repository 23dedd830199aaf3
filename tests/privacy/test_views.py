"""The pages (decision 0040): HR's 個人情報の管理 answers 404 for the other municipality's people and
403 for other roles; exports and erasure are POST with CSRF, a GET changes and logs nothing; the
employee's own page downloads only their own data."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from privacy.models import Erasure

pytestmark = pytest.mark.django_db


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.mark.parametrize("name", ["personal_data:staff", "personal_data:erase"])
def test_hr_cannot_open_the_other_municipality_s_people(world, name):
    client = client_for(world["s_hr"])
    assert client.get(reverse(name, args=[world["a_retired"].pk])).status_code == 404
    assert (
        client.post(reverse(name, args=[world["a_retired"].pk]), {"reason": "x", "staff_number": "000104"}).status_code
        == 404
    )
    assert not ModelLogEntry.objects.filter(action__startswith="privacy.").exists()


def test_hr_cannot_open_the_other_municipality_s_policy(world, ashiya):
    client = client_for(world["s_hr"])
    assert client.get(reverse("personal_data:retention", args=[ashiya.pk])).status_code == 404


@pytest.mark.parametrize("viewer", ["a_head", "a_emp"])
def test_other_roles_are_refused(world, viewer):
    client = client_for(world[viewer])
    assert client.get(reverse("personal_data:index")).status_code in (302, 403)
    response = client.get(reverse("personal_data:staff", args=[world["a_retired"].pk]))
    assert response.status_code in (302, 403, 404)


def test_hr_downloads_on_post_only(world):
    client = client_for(world["a_hr"])
    url = reverse("personal_data:staff", args=[world["a_retired"].pk])
    page = client.get(url)
    assert page.status_code == 200 and "開示ファイルを作成する" in page.content.decode()
    assert not ModelLogEntry.objects.filter(action="privacy.disclosure_exported").exists()
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 200 and missing["Content-Type"].startswith("text/html")
    response = client.post(url, {"reason": "開示請求 第3号"})
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert ModelLogEntry.objects.filter(action="privacy.disclosure_exported").count() == 1


def test_erasure_needs_the_confirmation(world):
    client = client_for(world["a_hr"])
    url = reverse("personal_data:erase", args=[world["a_retired"].pk])
    page = client.get(url).content.decode()
    assert "消去するもの" in page and "残すもの" in page
    wrong = client.post(url, {"staff_number": "999"})
    assert wrong.status_code == 200 and not Erasure.objects.exists()
    done = client.post(url, {"staff_number": "000104"})
    assert done.status_code == 302 and Erasure.objects.filter(staff=world["a_retired"]).exists()


def test_csrf_is_required(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["a_emp"].user)
    assert client.post(reverse("privacy:my_disclosure")).status_code == 403


def test_an_employee_downloads_their_own(world):
    client = client_for(world["a_emp"])
    page = client.get(reverse("privacy:my_disclosure"))
    assert page.status_code == 200
    assert not ModelLogEntry.objects.filter(action="privacy.disclosure_exported").exists()
    response = client.post(reverse("privacy:my_disclosure"))
    assert response["Content-Type"] == "application/zip"
    assert "-000003-" in response["Content-Disposition"]
    assert "自分の個人情報をダウンロードする" in client.get(reverse("courses:mypage")).content.decode()


def test_retention_form_saves(world, ashiya):
    client = client_for(world["a_hr"])
    url = reverse("personal_data:retention", args=[ashiya.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"record_years": "6", "attempt_years": "2", "log_years": "2"})
    assert response.status_code == 302
    assert ashiya.retention_policy.record_years == 6
