"""Log-in (e-mail, or 自治体 + 職員番号), the generic failure message, the per-account failure limit,
log-out, the idle-session timeout and where anonymous visitors are sent."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings

from people.models import StaffMember
from tests.factories import PASSWORD, ChapterPageFactory, DepartmentFactory, GuidelinePageFactory, StaffMemberFactory
from tests.helpers import totp_code, totp_enrol, visible_text

pytestmark = pytest.mark.django_db

LOGIN_URLS = ["/accounts/login/", "/admin/login/"]
GENERIC_ERROR = "ログインできませんでした。入力内容をご確認ください。"
LOCKED_ERROR = "ログインの失敗が続いたため、このアカウントへのログインを一時的に停止しています。"


@pytest.fixture
def no_mail(ashiya):
    """会計年度任用職員 without a mailbox: logs in with 自治体 + 職員番号."""
    return StaffMemberFactory(
        municipality=ashiya,
        department=DepartmentFactory(municipality=ashiya),
        staff_number="000654",
        name="芦田 次郎",
        email="",
        employment_type=StaffMember.EmploymentType.FISCAL_YEAR,
    )


def _errors(response) -> list[str]:
    """The error texts the log-in page shows (the non-field block and any field errors)."""
    markup = response.content.decode()
    blocks = re.findall(r'<div class="form-errors"[^>]*>(.*?)</div>', markup, re.S)
    fields = re.findall(r'<div class="field__error"[^>]*>(.*?)</div>', markup, re.S)
    return [visible_text(b).strip() for b in blocks + fields]


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _post_login(client, url="/accounts/login/", **data):
    return client.post(url, data)


class TestLogIn:
    def test_login_page_offers_municipality_by_code_and_login_field(self, client, ashiya, sukagawa):
        response = client.get("/accounts/login/")
        markup = response.content.decode()
        assert response.status_code == 200
        assert re.search(r'<select name="municipality"[^>]*>', markup)
        assert '<option value="282065">芦屋市</option>' in markup
        assert '<option value="072079">須賀川市</option>' in markup
        assert re.search(r'<input type="text" name="login"', markup)
        assert re.search(r'<input type="password" name="password"', markup)

    def test_email_and_password(self, client, hanako):
        response = _post_login(client, login="Hanako@Ashiya.Example.jp", password=PASSWORD)

        assert response.status_code == 302
        assert response["Location"] == "/mypage/"
        assert client.session["_auth_user_id"] == str(hanako.user.pk)
        assert "芦田 花子 さん" in client.get("/mypage/").content.decode()

    def test_municipality_staff_number_and_password(self, client, no_mail):
        response = _post_login(client, municipality="282065", login="000654", password=PASSWORD)

        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(no_mail.user.pk)

    def test_staff_number_without_municipality_asks_for_it(self, client, no_mail):
        response = _post_login(client, login="000654", password=PASSWORD)

        assert response.status_code == 200
        assert "職員番号でログインする場合は、自治体を選んでください。" in _errors(response)
        assert not _logged_in(client)
        # Screen readers hear the error with the field: the select points at the message.
        markup = response.content.decode()
        assert re.search(r'<select[^>]*aria-describedby="id_municipality_error"', markup)
        assert re.search(r'<select[^>]*aria-invalid="true"', markup)
        assert 'id="id_municipality_error"' in markup

    def test_staff_number_with_the_wrong_municipality_fails(self, client, no_mail, sukagawa):
        response = _post_login(client, municipality="072079", login="000654", password=PASSWORD)

        assert _errors(response) == [GENERIC_ERROR]
        assert not _logged_in(client)

    def test_admin_login_logs_in_an_editor_and_returns_to_the_admin(self, client, hanako):
        from courses.services import editorial_setup

        editors, _approvers = editorial_setup(guideline=GuidelinePageFactory(municipality=hanako.municipality))
        hanako.user.groups.add(editors)
        secret = totp_enrol(hanako.user)  # an editor must have a second factor (decision 0025)
        response = client.post(
            "/admin/login/", {"login": "hanako@ashiya.example.jp", "password": PASSWORD, "next": "/admin/"}
        )

        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/authenticate/"
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200

    @pytest.mark.parametrize("path", ["/admin/", "/admin/pages/", "/admin/login/", "/admin/hr-reports/"])
    def test_a_signed_in_employee_opening_the_admin_is_told_what_it_is_for(self, client, hanako, path):
        client.force_login(hanako.user)

        response = client.get(path)

        page = response.content.decode()
        assert response.status_code == 403
        assert "管理画面は人事担当・編集担当の方向けです" in page
        assert 'href="/mypage/"' in page
        assert "パスワード" not in page  # not a log-in form
        assert _logged_in(client)

    def test_a_department_head_is_told_too_and_hr_is_not(self, client, hanako):

        hanako.role = StaffMember.Role.DEPARTMENT_HEAD
        hanako.save()
        client.force_login(hanako.user)
        assert client.get("/admin/").status_code == 403

        hanako.role = StaffMember.Role.HR
        hanako.save()
        response = client.get("/admin/")
        assert response.status_code == 200
        assert "管理画面は人事担当・編集担当の方向けです" not in response.content.decode()


class TestFailedLogIn:
    @pytest.mark.parametrize(
        "attempt",
        [
            pytest.param({"login": "hanako@ashiya.example.jp", "password": "wrong-password-1"}, id="wrong-password"),
            pytest.param({"login": "nobody@ashiya.example.jp", "password": "wrong-password-1"}, id="unknown-email"),
            pytest.param(
                {"municipality": "282065", "login": "000654", "password": "wrong-password-1"},
                id="staff-number-wrong-password",
            ),
            pytest.param(
                {"municipality": "282065", "login": "999999", "password": "wrong-password-1"},
                id="unknown-staff-number",
            ),
        ],
    )
    def test_one_generic_japanese_message_whatever_went_wrong(self, client, hanako, no_mail, attempt):
        response = _post_login(client, **attempt)

        assert response.status_code == 200
        assert _errors(response) == [GENERIC_ERROR]
        assert not _logged_in(client)

    def test_an_inactive_account_gets_the_same_message_as_a_wrong_password(self, client, hanako):
        hanako.user.is_active = False
        hanako.user.save()

        response = _post_login(client, login="hanako@ashiya.example.jp", password=PASSWORD)

        assert _errors(response) == [GENERIC_ERROR]
        assert not _logged_in(client)

    def test_unknown_and_known_accounts_get_identical_pages(self, client, hanako):
        """Apart from the CSRF token, nothing tells an existing account from a made-up one."""

        def page(login):
            markup = _post_login(client, login=login, password="wrong-password-1").content.decode()
            markup = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", markup)
            return markup.replace(login, "LOGIN")

        assert page("hanako@ashiya.example.jp") == page("nobody@ashiya.example.jp")


class TestFailureLimit:
    @pytest.mark.parametrize("url", LOGIN_URLS)
    def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(self, client, hanako, url):
        for _ in range(5):
            assert _errors(_post_login(client, url, login="hanako@ashiya.example.jp", password="wrong-pass-1")) == [
                GENERIC_ERROR
            ]

        response = _post_login(client, url, login="hanako@ashiya.example.jp", password=PASSWORD)

        assert response.status_code == 200
        assert any(LOCKED_ERROR in e for e in _errors(response))
        assert not _logged_in(client)

    @pytest.mark.parametrize("url", LOGIN_URLS)
    def test_four_failures_do_not_lock_the_account(self, client, hanako, url):
        for _ in range(4):
            _post_login(client, url, login="hanako@ashiya.example.jp", password="wrong-pass-1")

        response = _post_login(client, url, login="hanako@ashiya.example.jp", password=PASSWORD)

        assert response.status_code == 302
        assert _logged_in(client)

    def test_the_limit_counts_failures_by_staff_number_too(self, client, no_mail):
        for _ in range(5):
            _post_login(client, municipality="282065", login="000654", password="wrong-pass-1")

        response = _post_login(client, municipality="282065", login="000654", password=PASSWORD)

        assert any(LOCKED_ERROR in e for e in _errors(response))
        assert not _logged_in(client)

    def test_failures_by_email_and_by_staff_number_count_for_the_same_account(self, client, hanako):
        for _ in range(3):
            _post_login(client, login="hanako@ashiya.example.jp", password="wrong-pass-1")
        for _ in range(2):
            _post_login(client, municipality="282065", login="000321", password="wrong-pass-1")

        by_number = _post_login(client, municipality="282065", login="000321", password=PASSWORD)
        by_mail = _post_login(client, login="hanako@ashiya.example.jp", password=PASSWORD)

        assert any(LOCKED_ERROR in e for e in _errors(by_number))
        assert any(LOCKED_ERROR in e for e in _errors(by_mail))
        assert not _logged_in(client)

    def test_the_lock_is_per_account_not_for_everyone_behind_the_same_address(self, client, hanako, no_mail):
        for _ in range(6):
            _post_login(client, login="hanako@ashiya.example.jp", password="wrong-pass-1")

        response = _post_login(client, municipality="282065", login="000654", password=PASSWORD)

        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(no_mail.user.pk)

    def test_the_lock_ends_after_five_minutes(self, client, hanako):
        for _ in range(6):
            _post_login(client, login="hanako@ashiya.example.jp", password="wrong-pass-1")

        later = time.time() + 5 * 60 + 1
        clock = SimpleNamespace(time=lambda: later, monotonic=time.monotonic, sleep=time.sleep)
        with mock.patch.object(allauth_ratelimit, "time", clock):
            response = _post_login(client, login="hanako@ashiya.example.jp", password=PASSWORD)

        assert response.status_code == 302
        assert _logged_in(client)


class TestLogOut:
    def test_get_shows_a_confirmation_and_keeps_the_session(self, client, hanako):
        client.force_login(hanako.user)

        response = client.get("/accounts/logout/")

        assert response.status_code == 200
        assert "ログアウトしますか" in visible_text(response.content.decode())
        assert _logged_in(client)
        assert client.get("/mypage/").status_code == 200

    def test_post_logs_out(self, client, hanako):
        client.force_login(hanako.user)

        response = client.post("/accounts/logout/")

        assert response.status_code == 302
        assert not _logged_in(client)
        assert client.get("/mypage/")["Location"].startswith("/accounts/login/")


class TestIdleTimeout:
    def _idle(self, client, seconds):
        session = client.session
        session["_last_seen"] = int(time.time()) - seconds
        session.save()

    def test_a_session_idle_for_more_than_30_minutes_ends(self, client, hanako):
        client.force_login(hanako.user)
        assert client.get("/mypage/").status_code == 200
        self._idle(client, settings.SESSION_IDLE_TIMEOUT + 1)

        response = client.get("/mypage/")

        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/mypage/"
        assert not _logged_in(client)
        login_page = client.get(response["Location"]).content.decode()
        assert "30分以上操作がなかったため、ログアウトしました。" in login_page

    def test_a_session_idle_for_29_minutes_continues(self, client, hanako):
        client.force_login(hanako.user)
        client.get("/mypage/")
        self._idle(client, 29 * 60)

        response = client.get("/mypage/")

        assert response.status_code == 200
        assert _logged_in(client)
        assert client.session["_last_seen"] >= int(time.time()) - 5, "the request refreshes the last-seen stamp"


class TestAnonymous:
    def test_training_pages_need_a_log_in(self, client, ashiya):
        guideline = GuidelinePageFactory(municipality=ashiya)
        chapter = ChapterPageFactory(parent=guideline)

        for url in (guideline.url, chapter.url, "/mypage/", "/staff/", "/"):
            response = client.get(url, follow=True)
            assert response.redirect_chain, url
            assert response.redirect_chain[-1][0].startswith("/accounts/login/"), url
            assert response.status_code == 200
            assert "ログイン" in visible_text(response.content.decode())
            assert chapter.title not in response.content.decode()

    def test_chapter_redirect_returns_to_the_chapter_after_log_in(self, client, hanako):
        chapter = ChapterPageFactory(parent=GuidelinePageFactory(municipality=hanako.municipality))

        response = client.get(chapter.url)
        assert response["Location"] == f"/accounts/login/?next={chapter.url}"

        response = client.post(response["Location"], {"login": "hanako@ashiya.example.jp", "password": PASSWORD})
        assert response["Location"] == chapter.url

    def test_admin_sends_anonymous_visitors_to_the_allauth_login(self, client):
        response = client.get("/admin/")

        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/admin/"
        page = client.get(response["Location"]).content.decode()
        assert 'name="municipality"' in page
