"""Japanese by default whatever the browser says; English only when the person chooses it."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_japanese_even_for_an_english_browser(client, employee):
    client.force_login(employee.user)
    response = client.get(reverse("courses:mypage"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert "マイページ" in response.content.decode()
    assert response["Content-Language"] == "ja"


@pytest.mark.django_db
def test_choosing_english_in_the_footer_switches_the_interface(client, employee):
    client.force_login(employee.user)
    page = client.get(reverse("courses:mypage")).content.decode()
    assert 'action="/i18n/setlang/"' in page
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("courses:mypage")})
    assert response.status_code == 302
    page = client.get(reverse("courses:mypage")).content.decode()
    assert "My page" in page
    assert '<html lang="en">' in page
    client.post(reverse("set_language"), {"language": "ja", "next": reverse("courses:mypage")})
    assert "マイページ" in client.get(reverse("courses:mypage")).content.decode()


@pytest.mark.django_db
def test_switching_language_needs_post(client, employee):
    client.force_login(employee.user)
    client.get(reverse("set_language") + "?language=en")
    assert "マイページ" in client.get(reverse("courses:mypage")).content.decode()


@pytest.mark.django_db
def test_staff_without_admin_access_are_told_so_in_japanese(client, employee):
    client.force_login(employee.user)
    response = client.get("/admin/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "管理画面は人事担当・編集担当の方向けです" in page
    assert "You do not have permission" not in page
