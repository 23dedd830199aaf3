"""The second factor for privileged accounts and HR's session revocation (identity/mfa.py,
identity/mfa_admin.py, decision 0025): who is sent to set one up, the MFA step at log-in, wrong
and reused codes, the last authenticator, the access log, and ending a person's sessions."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from identity.mfa import requires_second_factor
from identity.models import AccessEvent
from people.models import StaffMember
from tests.factories import PASSWORD, GuidelinePageFactory, StaffMemberFactory, UserFactory
from tests.helpers import totp_code, totp_enrol, visible_text
from tests.people.test_sessions_redis import redis_sessions  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

SETUP_URL = "/accounts/2fa/totp/activate/"
AUTHENTICATE_URL = "/accounts/2fa/authenticate/"
REAUTHENTICATE_URL = "/accounts/2fa/reauthenticate/"
REUSED_OR_WRONG = "コードが正しくないか、すでに使われたコードです。"
LAST_ONE = "この役割では二要素認証が必須のため、最後の認証手段は削除できません。"


@pytest.fixture
def groups(ashiya):
    from courses.services import editorial_setup

    return editorial_setup(guideline=GuidelinePageFactory(municipality=ashiya, slug="ashiya-mfa"))


@pytest.fixture
def hr(ashiya):
    return StaffMemberFactory(municipality=ashiya, role=StaffMember.Role.HR, name="人事 花子")


@pytest.fixture
def editor(ashiya, groups):
    member = StaffMemberFactory(municipality=ashiya, name="編集 太郎")
    member.user.groups.add(groups[0])
    return member


@pytest.fixture
def approver(ashiya, groups):
    member = StaffMemberFactory(municipality=ashiya, name="承認 次郎")
    member.user.groups.add(groups[1])
    return member


@pytest.fixture
def platform_admin(home):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def head(ashiya):
    return StaffMemberFactory(municipality=ashiya, role=StaffMember.Role.DEPARTMENT_HEAD)


def _user(person):
    return getattr(person, "user", person)


def _reaches(client, page) -> bool:
    """The page answers (or sends on within the admin), not to a second-factor page or the log-in."""
    response = client.get(page)
    return response.status_code == 200 or (
        response.status_code == 302 and not response["Location"].startswith("/accounts/")
    )


def _password_login(client, person) -> object:
    user = _user(person)
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


PRIVILEGED = ["hr", "editor", "approver", "platform_admin"]
PROTECTED_PAGES = {
    "hr": ["/admin/", "/admin/hr-reports/dashboard/", "/staff/"],
    "editor": ["/admin/", "/admin/pages/"],
    "approver": ["/admin/", "/admin/pages/"],
    # (The admin's dashboard answers 404 to a platform admin without a staff record, MFA or not.)
    "platform_admin": ["/admin/users/", "/admin/pages/", "/staff/"],
}


class TestWhoMustHaveOne:
    def test_the_rule(self, hr, editor, approver, platform_admin, employee, head):
        assert [requires_second_factor(_user(p)) for p in (hr, editor, approver, platform_admin)] == [True] * 4
        assert not requires_second_factor(employee.user)
        assert not requires_second_factor(head.user)

    @pytest.mark.parametrize("role", PRIVILEGED)
    def test_without_one_they_are_sent_to_set_it_up(self, request, client, role):
        person = request.getfixturevalue(role)
        _password_login(client, person)
        for page in PROTECTED_PAGES[role]:
            response = client.get(page)
            assert response.status_code == 302, page
            assert response["Location"].startswith(SETUP_URL + "?next="), page
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert "二要素認証" in visible_text(page.content.decode()) or "認証アプリ" in visible_text(
            page.content.decode()
        )

    @pytest.mark.parametrize("role", PRIVILEGED)
    def test_with_one_but_a_log_in_without_it_they_must_pass_it(self, request, client, role):
        person = request.getfixturevalue(role)
        secret = totp_enrol(_user(person))
        client.force_login(_user(person))  # a log-in that skipped allauth's MFA stage
        page = PROTECTED_PAGES[role][0]
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(REAUTHENTICATE_URL)

        response = client.post(response["Location"], {"code": totp_code(secret)})
        assert response.status_code == 302 and response["Location"] == page
        assert _reaches(client, page)

    @pytest.mark.parametrize("role", PRIVILEGED)
    def test_after_the_mfa_stage_they_pass(self, request, client, role):
        person = request.getfixturevalue(role)
        secret = totp_enrol(_user(person))
        response = _password_login(client, person)
        assert response["Location"] == AUTHENTICATE_URL
        assert client.post(AUTHENTICATE_URL, {"code": totp_code(secret)}).status_code == 302
        for page in PROTECTED_PAGES[role]:
            assert _reaches(client, page), page

    def test_an_employee_and_a_department_head_are_not_forced(self, client, employee, head):
        client.force_login(employee.user)
        assert client.get("/staff/").status_code == 200
        assert client.get(reverse("courses:mypage")).status_code == 200
        client.force_login(head.user)
        assert client.get("/staff/").status_code == 200
        assert client.get("/department/").status_code == 200

    def test_an_employee_may_enrol_from_my_page(self, client, employee, django_capture_on_commit_callbacks):
        _password_login(client, employee)
        mypage = client.get(reverse("courses:mypage")).content.decode()
        assert 'href="/accounts/2fa/"' in mypage and 'href="/accounts/sessions/"' in mypage

        page = client.get(SETUP_URL)
        secret = page.context["form"].secret
        # The QR code is drawn on the server, inline: nothing is fetched from elsewhere.
        assert 'src="data:image/svg+xml;base64,' in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(SETUP_URL, {"code": totp_code(secret)})
        assert response.status_code == 302
        assert Authenticator.objects.filter(user=employee.user, type=Authenticator.Type.TOTP).exists()
        event = AccessEvent.objects.get(kind=AccessEvent.Kind.MFA_ENROLLED, detail__type="totp")
        assert event.subject == employee.user and event.ip_address == "127.0.0.1"

    def test_the_admin_logout_stays_open(self, client, hr):
        client.force_login(hr.user)
        response = client.post("/admin/logout/")
        assert response.status_code == 302 and not response["Location"].startswith(SETUP_URL)


@pytest.mark.django_db(transaction=True)  # allauth signals the enrolment on commit, inside the request
class TestEnrolmentOnTheWay:
    def test_hr_sent_to_setup_enrols_and_reaches_the_admin(self, client, hr):
        _password_login(client, hr)  # no authenticator yet: no MFA stage
        response = client.get("/admin/")
        assert response["Location"].startswith(SETUP_URL)
        secret = client.get(response["Location"]).context["form"].secret
        response = client.post(SETUP_URL, {"code": totp_code(secret)})
        # Recovery codes are made with the first authenticator and shown next.
        assert response.status_code == 302 and response["Location"] == "/accounts/2fa/recovery-codes/"
        assert Authenticator.objects.filter(user=hr.user, type=Authenticator.Type.RECOVERY_CODES).exists()
        assert client.get("/admin/").status_code == 200
        assert AccessEvent.objects.filter(kind=AccessEvent.Kind.MFA_ENROLLED, subject=hr.user).count() == 2


class TestTheMfaStage:
    def test_the_password_alone_does_not_log_in(self, client, hr):
        totp_enrol(hr.user)
        response = _password_login(client, hr)
        assert response.status_code == 302 and response["Location"] == AUTHENTICATE_URL
        assert "_auth_user_id" not in client.session
        assert client.get("/admin/")["Location"].startswith("/accounts/login/")

    def test_a_wrong_code_is_refused_in_japanese_and_logged(self, client, hr):
        secret = totp_enrol(hr.user)
        _password_login(client, hr)
        wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
        response = client.post(AUTHENTICATE_URL, {"code": wrong})
        assert response.status_code == 200
        assert REUSED_OR_WRONG in visible_text(response.content.decode())
        assert "_auth_user_id" not in client.session
        event = AccessEvent.objects.get(kind=AccessEvent.Kind.MFA_FAILED)
        assert event.subject == hr.user and event.municipality_id == hr.municipality_id

    def test_a_code_reused_within_its_window_is_refused(self, hr):
        secret = totp_enrol(hr.user)
        code = totp_code(secret)
        first, second = Client(), Client()
        _password_login(first, hr)
        assert first.post(AUTHENTICATE_URL, {"code": code})["Location"] == reverse("courses:mypage")

        _password_login(second, hr)
        response = second.post(AUTHENTICATE_URL, {"code": code})
        assert response.status_code == 200
        assert REUSED_OR_WRONG in visible_text(response.content.decode())
        assert "_auth_user_id" not in second.session
        assert AccessEvent.objects.filter(kind=AccessEvent.Kind.MFA_FAILED, subject=hr.user).count() == 1

    def test_a_recovery_code_works_once(self, client, hr):
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

        totp_enrol(hr.user)
        code = RecoveryCodes.activate(hr.user).get_unused_codes()[0]
        _password_login(client, hr)
        assert client.post(AUTHENTICATE_URL, {"code": code}).status_code == 302
        assert client.get("/admin/").status_code == 200

        other = Client()
        _password_login(other, hr)
        assert other.post(AUTHENTICATE_URL, {"code": code}).status_code == 200
        assert "_auth_user_id" not in other.session


class TestRemoval:
    def test_hr_cannot_remove_their_last_authenticator(self, client, hr):
        secret = totp_enrol(hr.user)
        _password_login(client, hr)
        client.post(AUTHENTICATE_URL, {"code": totp_code(secret)})
        response = client.post("/accounts/2fa/totp/deactivate/")
        assert response.status_code == 200
        assert LAST_ONE in visible_text(response.content.decode())
        assert Authenticator.objects.filter(user=hr.user, type=Authenticator.Type.TOTP).exists()
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.MFA_REMOVED).exists()

    def test_hr_cannot_remove_their_last_passkey(self, client, hr):
        passkey = Authenticator.objects.create(user=hr.user, type=Authenticator.Type.WEBAUTHN, data={"name": "鍵"})
        client.force_login(hr.user)
        session = client.session
        session["account_authentication_methods"] = [{"method": "mfa", "at": __import__("time").time()}]
        session["account_authentication_methods_user"] = str(hr.user.pk)
        session.save()
        response = client.post(f"/accounts/2fa/webauthn/keys/{passkey.pk}/remove/")
        assert response.status_code == 302 and response["Location"] == "/accounts/2fa/webauthn/"
        assert Authenticator.objects.filter(pk=passkey.pk).exists()

    def test_an_employee_may_remove_theirs_and_it_is_logged(self, client, employee):
        secret = totp_enrol(employee.user)
        _password_login(client, employee)
        client.post(AUTHENTICATE_URL, {"code": totp_code(secret)})
        response = client.post("/accounts/2fa/totp/deactivate/")
        assert response.status_code == 302
        assert not Authenticator.objects.filter(user=employee.user).exists()
        assert AccessEvent.objects.filter(kind=AccessEvent.Kind.MFA_REMOVED, subject=employee.user).exists()


def _hr_admin_client(hr) -> Client:
    client = Client()
    secret = totp_enrol(hr.user, secret="KRUGS4ZANFZSAYJAORSXG5BAONSWG4TF")
    _password_login(client, hr)
    client.post(AUTHENTICATE_URL, {"code": totp_code(secret)})
    return client


class TestSessionRevocation:
    def _logged_in_elsewhere(self, person) -> Client:
        other = Client()
        _password_login(other, person)
        assert other.get(reverse("courses:mypage")).status_code == 200
        return other

    def test_hr_ends_every_session_of_a_person_of_their_municipality(self, hr, employee):
        phone, desk = self._logged_in_elsewhere(employee), self._logged_in_elsewhere(employee)
        assert UserSession.objects.filter(user=employee.user).count() == 2
        client = _hr_admin_client(hr)

        page = client.get(f"/admin/identity_logins/{employee.pk}/")
        assert page.status_code == 200
        assert "すべてのセッションを終了する" in visible_text(page.content.decode())
        assert client.get(f"/admin/identity_logins/{employee.pk}/revoke-sessions/").status_code == 405

        response = client.post(f"/admin/identity_logins/{employee.pk}/revoke-sessions/", follow=True)
        assert "セッションを 2 件終了しました" in visible_text(response.content.decode())
        for device in (phone, desk):
            assert device.get(reverse("courses:mypage"))["Location"].startswith("/accounts/login/")
        assert not UserSession.objects.filter(user=employee.user).exists()
        event = AccessEvent.objects.get(kind=AccessEvent.Kind.SESSIONS_REVOKED)
        assert (event.actor, event.subject, event.detail) == (hr.user, employee.user, {"sessions": 2})
        assert event.municipality_id == employee.municipality_id

    def test_with_sessions_in_the_cache_as_with_redis(self, settings, hr, employee):
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        phone = self._logged_in_elsewhere(employee)
        client = _hr_admin_client(hr)
        client.post(f"/admin/identity_logins/{employee.pk}/revoke-sessions/")
        assert phone.get(reverse("courses:mypage"))["Location"].startswith("/accounts/login/")

    def test_the_post_needs_the_csrf_token(self, hr, employee):
        phone = self._logged_in_elsewhere(employee)
        client = _hr_admin_client(hr)
        client.handler.enforce_csrf_checks = True
        response = client.post(f"/admin/identity_logins/{employee.pk}/revoke-sessions/")
        assert response.status_code == 403
        assert phone.get(reverse("courses:mypage")).status_code == 200

    def test_another_municipality_answers_404_and_nothing_ends(self, hr, sukagawa):
        stranger = StaffMemberFactory(municipality=sukagawa)
        phone = self._logged_in_elsewhere(stranger)
        client = _hr_admin_client(hr)
        assert client.get(f"/admin/identity_logins/{stranger.pk}/").status_code == 404
        assert client.post(f"/admin/identity_logins/{stranger.pk}/revoke-sessions/").status_code == 404
        assert client.post(f"/admin/identity_logins/{stranger.pk}/reset-mfa/").status_code == 404
        assert phone.get(reverse("courses:mypage")).status_code == 200
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.SESSIONS_REVOKED).exists()
        search = client.get("/admin/identity_logins/", {"q": stranger.staff_number})
        assert stranger.name not in visible_text(search.content.decode())

    @pytest.mark.parametrize("role", ["employee", "head", "editor"])
    def test_others_cannot(self, request, client, role, hr):
        person = request.getfixturevalue(role)
        client.force_login(_user(person))
        from tests.helpers import mark_second_factor_passed

        mark_second_factor_passed(client, _user(person))
        phone = self._logged_in_elsewhere(hr)
        response = client.post(f"/admin/identity_logins/{hr.pk}/revoke-sessions/")
        assert response.status_code in (302, 403, 404)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")
        assert phone.get(reverse("courses:mypage")).status_code == 200

    def test_the_platform_admin_may_for_anyone(self, client, platform_admin, employee):
        phone = self._logged_in_elsewhere(employee)
        totp_enrol(platform_admin, secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        _password_login(client, platform_admin)
        client.post(AUTHENTICATE_URL, {"code": totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")})
        assert client.post(f"/admin/identity_logins/{employee.pk}/revoke-sessions/").status_code == 302
        assert phone.get(reverse("courses:mypage"))["Location"].startswith("/accounts/login/")

    def test_a_person_sees_and_ends_their_own_sessions(self, employee):
        phone = self._logged_in_elsewhere(employee)
        desk = self._logged_in_elsewhere(employee)
        page = desk.get("/accounts/sessions/")
        assert page.status_code == 200
        desk.post("/accounts/sessions/", {"action": "logout"})
        assert phone.get(reverse("courses:mypage"))["Location"].startswith("/accounts/login/")
        assert desk.get(reverse("courses:mypage")).status_code == 200


class TestResetByHR:
    def test_hr_resets_a_lost_device_and_the_person_enrols_again(self, hr, editor):
        totp_enrol(editor.user, secret="MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U")
        client = _hr_admin_client(hr)
        response = client.post(f"/admin/identity_logins/{editor.pk}/reset-mfa/", follow=True)
        assert "二要素認証をリセットしました" in visible_text(response.content.decode())
        assert not Authenticator.objects.filter(user=editor.user).exists()
        event = AccessEvent.objects.get(kind=AccessEvent.Kind.MFA_REMOVED, subject=editor.user)
        assert event.actor == hr.user and event.detail["reset_by_admin"] is True

        own = Client()
        _password_login(own, editor)  # no MFA stage: nothing to pass
        assert own.get("/admin/")["Location"].startswith(SETUP_URL)


def test_revocation_with_sessions_in_a_real_redis(redis_sessions, hr, employee):  # noqa: F811
    """As production keeps sessions (REDIS_URL): the listed session is deleted from Redis."""
    phone = Client()
    _password_login(phone, employee)
    assert phone.get(reverse("courses:mypage")).status_code == 200
    before = len(redis_sessions.keys("*django.contrib.sessions.cache*"))
    client = _hr_admin_client(hr)
    client.post(f"/admin/identity_logins/{employee.pk}/revoke-sessions/")
    assert phone.get(reverse("courses:mypage"))["Location"].startswith("/accounts/login/")
    assert len(redis_sessions.keys("*django.contrib.sessions.cache*")) == before  # HR's own came, the phone's went


def test_the_mfa_pages_are_japanese_and_hr_reaches_login_admin_from_the_staff_page(client, hr, employee):
    _password_login(client, hr)
    add = visible_text(client.get("/accounts/2fa/webauthn/add/").content.decode())
    assert "名前（例：職場のPC" in add and "Name" not in add
    secret = client.get(SETUP_URL).context["form"].secret
    client.post(SETUP_URL, {"code": totp_code(secret)})
    client.post(REAUTHENTICATE_URL, {"code": totp_code(secret)})  # on_commit does not run in this test: pass it here
    response = client.get(f"/staff/{employee.pk}/")
    assert response.status_code == 200
    detail = response.content.decode()
    assert f'href="/admin/identity_logins/{employee.pk}/"' in detail


def test_hr_cannot_reset_their_own_second_factor_nor_touch_a_platform_admin(hr, ashiya):
    platform_admin_with_staff = StaffMemberFactory(municipality=ashiya)
    platform_admin_with_staff.user.is_superuser = True
    platform_admin_with_staff.user.save()
    totp_enrol(platform_admin_with_staff.user, secret="ONSWG4TFORSXG5BAONSWG4TFORSXG5BA")
    client = _hr_admin_client(hr)

    response = client.post(f"/admin/identity_logins/{hr.pk}/reset-mfa/", follow=True)
    assert "自分の二要素認証は" in visible_text(response.content.decode())
    assert Authenticator.objects.filter(user=hr.user, type=Authenticator.Type.TOTP).exists()

    assert client.post(f"/admin/identity_logins/{platform_admin_with_staff.pk}/reset-mfa/").status_code == 404
    assert Authenticator.objects.filter(user=platform_admin_with_staff.user).exists()
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.MFA_REMOVED).exists()
