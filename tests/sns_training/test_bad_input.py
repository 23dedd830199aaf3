"""A NUL byte or text that is not valid UTF-8, in a query string, a form field or an uploaded CSV,
gets a 400 page in Japanese instead of a server error (sns_training.middleware.RejectBadTextMiddleware,
people.roster.decode). PostgreSQL refuses NUL in text, so these were 500s there."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from people.models import RosterImport, StaffMember
from tests.factories import DepartmentFactory, StaffMemberFactory, UserFactory, roster_csv
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

BAD_TEXT = "送信された内容に使えない文字（NUL 文字や UTF-8 として読めないバイト）が含まれています。"
BAD_FILE = "ファイルに使えない文字（NUL 文字）が含まれています。"


def _text(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


@pytest.fixture
def editor(ashiya):
    """The platform admin: reaches every admin URL, so the input is what is tested, not the scoping."""
    return UserFactory(is_superuser=True)


@pytest.fixture
def hr(ashiya):
    return StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya), role="hr")


@pytest.mark.parametrize("term", ["%00", "a%00b", "%ED%A0%80", "%FF%FE", "%C3"])
def test_wagtail_tag_autocomplete_answers_bad_text_with_400(client, editor, term):
    client.force_login(editor)

    response = client.get(f"/admin/tag-autocomplete/?term={term}")

    assert response.status_code == 400
    assert BAD_TEXT in _text(response)


def test_wagtail_tag_autocomplete_still_answers_good_text(client, editor):
    client.force_login(editor)

    response = client.get("/admin/tag-autocomplete/?term=%E7%A0%94%E4%BF%AE")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("query", ["search=%00", "title=%00", "search=%ED%A0%80", "%00=1"])
def test_the_admin_pages_api_answers_bad_text_with_400(client, editor, home, query):
    client.force_login(editor)

    response = client.get(f"/admin/api/main/pages/?{query}")

    assert response.status_code == 400
    assert BAD_TEXT in _text(response)


def test_the_admin_pages_api_still_answers(client, editor, home):
    client.force_login(editor)

    response = client.get("/admin/api/main/pages/?search=%E7%A0%94%E4%BF%AE")

    assert response.status_code == 200


def test_a_roster_file_with_a_nul_byte_is_refused_with_a_message(client, hr):
    """The upload form shows the reason on the file field, as for any unreadable file."""
    client.force_login(hr.user)
    content = roster_csv("000201,新人\x00一郎,シンジン イチロウ,2100,一般職,2026/4/1,,1")

    response = client.post(
        "/admin/roster-import/", {"kind": "staff", "file": SimpleUploadedFile("meibo.csv", content, "text/csv")}
    )

    assert response.status_code == 200
    assert BAD_FILE in _text(response)
    assert not StaffMember.objects.filter(staff_number="000201").exists()
    assert not RosterImport.objects.exists()


def test_a_form_field_with_a_nul_byte_is_refused_and_nothing_is_written(client, hr):
    """The log-in form (a plain Django form) as the generic case: a NUL in a POSTed field."""
    response = client.post("/accounts/login/", {"login": f"{hr.user.email}\x00", "password": "x"})

    assert response.status_code == 400
    assert BAD_TEXT in _text(response)


def test_a_form_body_that_is_not_utf8_is_refused(client, hr):
    response = client.post(
        "/accounts/login/", b"login=%82%A0&password=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert BAD_TEXT in _text(response)


def test_a_multipart_field_with_a_nul_byte_is_refused(client, hr):
    client.force_login(hr.user)

    response = client.post(
        "/admin/roster-import/",
        {
            "kind": "staff\x00",
            "file": SimpleUploadedFile(
                "meibo.csv", roster_csv("000201,新人 一郎,シンジン,2100,一般職,2026/4/1,,1"), "text/csv"
            ),
        },
    )

    assert response.status_code == 400
    assert BAD_TEXT in _text(response)
    assert not RosterImport.objects.exists()


def test_an_employee_page_with_a_nul_in_the_query_string_is_refused(client, ashiya, home):
    employee = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))
    client.force_login(employee.user)

    response = client.get("/mypage/?q=%00")

    assert response.status_code == 400
    assert BAD_TEXT in _text(response)
    assert client.get("/mypage/?q=ok").status_code == 200


def test_ordinary_japanese_and_typed_replacement_characters_pass(client, hr):
    """Valid UTF-8 (kana, kanji, even a typed U+FFFD) is not mistaken for bad input."""
    response = client.post("/accounts/login/", {"login": "芦屋\ufffd", "password": "パスワード"})

    assert response.status_code == 200
