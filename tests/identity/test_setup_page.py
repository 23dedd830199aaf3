"""The public first-access page (/accounts/setup/), its link from the log-in page, and the
forgotten-password page for staff without e-mail."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from identity import services
from identity.models import AccessEvent, LoginPolicy, SetupCode
from people.models import StaffMember
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

SETUP = "/accounts/setup/"
NEW_PASSWORD = "kaori-no-pass-2026"


def issue(hr, staff) -> str:
    [issued] = services.setup_codes_issue(issued_by=hr.user, staff_qs=StaffMember.objects.filter(pk=staff.pk))
    return issued.code


def form(staff, code, *, password=NEW_PASSWORD, again=None, municipality=None) -> dict:
    return {
        "municipality": municipality or staff.municipality.code,
        "staff_number": staff.staff_number,
        "code": code,
        "password1": password,
        "password2": password if again is None else again,
    }


def text(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def test_the_log_in_page_links_to_the_setup_page(client):
    page = client.get("/accounts/login/").content.decode()
    assert f'href="{SETUP}"' in page and "初めてログインする方" in page


def test_the_qr_codes_address_fills_in_municipality_and_number(client, kaori):
    page = client.get(SETUP, {"municipality": "282065", "staff_number": "000501"}).content.decode()
    assert '<option value="282065" selected>' in page
    assert 'value="000501"' in page
    assert 'name="code"' in page and 'autocomplete="new-password"' in page


def test_setup_sets_the_password_and_the_person_logs_in_with_it(hr, kaori):
    code = issue(hr, kaori)
    client = Client(enforce_csrf_checks=False)
    response = client.post(SETUP, form(kaori, code))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?municipality=282065"
    assert "パスワードを設定しました" in text(client.get("/accounts/login/"))
    assert not client.session.get("_auth_user_id")  # not logged in by the code itself

    logged_in = client.post("/accounts/login/", {"municipality": "282065", "login": "000501", "password": NEW_PASSWORD})
    assert logged_in.status_code == 302
    assert client.get("/mypage/").status_code == 200
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.SETUP_CODE_USED, subject=kaori.user).exists()


def test_every_refusal_shows_one_generic_message(hr, s_hr, kaori, s_kaori):
    code = issue(hr, kaori)
    s_code = issue(s_hr, s_kaori)
    client = Client()
    client.post(SETUP, form(kaori, code))  # used once
    attempts = [
        form(kaori, code, password="another-pass-2026"),  # reused
        form(kaori, "ACDE-FG34-HJK7"),  # wrong
        form(kaori, s_code),  # 須賀川市's code for 芦屋市's 000501
    ]
    for data in attempts:
        response = client.post(SETUP, data)
        assert response.status_code == 200
        assert str(services.SETUP_CODE_GENERIC_ERROR) in text(response)
    reasons = list(
        AccessEvent.objects.filter(kind=AccessEvent.Kind.SETUP_CODE_REFUSED).values_list("detail__reason", flat=True)
    )
    assert sorted(reasons) == ["other_municipality", "used", "wrong_code"]
    assert SetupCode.objects.get(staff=s_kaori).used_at is None


def test_password_rules_and_the_confirmation_are_checked(hr, kaori):
    code = issue(hr, kaori)
    client = Client()
    weak = client.post(SETUP, form(kaori, code, password="1234567890"))
    assert "field--error" in weak.content.decode()
    mismatch = client.post(SETUP, form(kaori, code, again="something-else-2026"))
    assert "確認用のパスワードが一致しません" in text(mismatch)
    kaori.user.refresh_from_db()
    assert not kaori.user.has_usable_password()
    assert SetupCode.objects.get(staff=kaori).used_at is None


def test_the_sixth_wrong_code_for_one_account_is_refused_even_with_the_right_code(hr, kaori):
    code = issue(hr, kaori)
    client = Client()
    for _ in range(5):
        client.post(SETUP, form(kaori, "ACDE-FG34-HJK7"))
    blocked = client.post(SETUP, form(kaori, code))
    assert "一時的に受け付けを停止しています" in text(blocked)
    last = AccessEvent.objects.filter(kind=AccessEvent.Kind.SETUP_CODE_REFUSED).first()
    assert last.detail == {"reason": "rate_limited"} and last.username == "282065-000501"
    kaori.user.refresh_from_db()
    assert not kaori.user.has_usable_password()


def test_a_post_without_csrf_is_refused(hr, kaori):
    code = issue(hr, kaori)
    client = Client(enforce_csrf_checks=True)
    assert client.post(SETUP, form(kaori, code)).status_code == 403
    assert SetupCode.objects.get(staff=kaori).used_at is None


# --- forgotten password ---------------------------------------------------------------------------


def test_the_forgotten_password_page_shows_the_chosen_municipalitys_contact(client, tree):
    LoginPolicy.objects.create(municipality=tree["koho"].municipality, no_mailbox_contact="人事課 研修担当 内線1234")
    LoginPolicy.objects.create(municipality=tree["s_somu"].municipality, no_mailbox_contact="人材育成課 内線5678")
    blank = text(client.get("/accounts/password/reset/"))
    assert "メールアドレスをお持ちでない方" in blank and "内線1234" not in blank
    chosen = text(client.get("/accounts/password/reset/", {"municipality": "282065"}))
    assert "芦屋市の問い合わせ先" in chosen and "人事課 研修担当 内線1234" in chosen and "内線5678" not in chosen


def test_reset_mail_goes_only_to_the_rosters_address(client, hr, kaori):
    # An address a user added themselves (unverified) and a User.email typed in elsewhere get no mail.
    EmailAddress.objects.create(user=kaori.user, email="kaori-private@example.com", verified=False)
    kaori.user.email = "kaori-typed@example.com"
    kaori.user.save(update_fields=["email"])
    for address in ("kaori-private@example.com", "kaori-typed@example.com"):
        assert client.post("/accounts/password/reset/", {"email": address}).status_code == 302
    assert mail.outbox == []
    # HR's own roster address still gets one.
    client.post("/accounts/password/reset/", {"email": hr.user.email})
    assert [m.to for m in mail.outbox] == [[hr.user.email]]
