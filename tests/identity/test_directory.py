"""Directory log-in against a real slapd (tests/ldap_server.py): the roster decides who gets in,
the directory only checks the password; filter input is escaped; an unreachable directory gets a
Japanese message and the local password only where the municipality allows it; the per-account
failure limit (decision 0004) holds; every attempt is in the access log."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY

from identity.directory import user_filter
from identity.models import AccessEvent, LoginPolicy
from people.models import StaffMember, User
from tests.factories import PASSWORD
from tests.helpers import visible_text
from tests.ldap_server import USERS, SlapdServer

from .conftest import directory_config

pytestmark = pytest.mark.django_db

GENERIC_ERROR = "ログインできませんでした。入力内容をご確認ください。"
LOCKED_ERROR = "ログインの失敗が続いたため、このアカウントへのログインを一時的に停止しています。"
UNAVAILABLE = "ディレクトリサーバーに接続できません。"
ASHIYA = "282065"
SUKAGAWA = "072079"


def _errors(response) -> list[str]:
    markup = response.content.decode()
    blocks = re.findall(r'<div class="form-errors"[^>]*>(.*?)</div>', markup, re.S)
    fields = re.findall(r'<div class="field__error"[^>]*>(.*?)</div>', markup, re.S)
    return [visible_text(b).strip() for b in blocks + fields]


def _directory_login(client, login, password, municipality=ASHIYA, url="/accounts/login/"):
    return client.post(url, {"municipality": municipality, "method": "directory", "login": login, "password": password})


def _password_login(client, login, password, municipality=ASHIYA):
    return client.post(
        "/accounts/login/", {"municipality": municipality, "method": "password", "login": login, "password": password}
    )


def _logged_in_as(client):
    return client.session.get("_auth_user_id")


def _last_event() -> AccessEvent:
    return AccessEvent.objects.order_by("-pk").first()


class TestDirectoryLogIn:
    def test_the_right_password_logs_in_as_the_rosters_person(self, client, roster, ashiya_directory):
        ashida = USERS["ashida"]

        response = _directory_login(client, ashida.account, ashida.password)

        assert response.status_code == 302
        assert response["Location"] == "/mypage/"
        assert _logged_in_as(client) == str(roster["ashida"].user.pk)
        # Loaded per request by the staff backend, never by the directory's.
        assert client.session[BACKEND_SESSION_KEY] == "people.backends.StaffAuthenticationBackend"
        assert "芦田 健 さん" in client.get("/mypage/").content.decode()
        event = _last_event()
        assert (event.kind, event.method) == (AccessEvent.Kind.LOGIN, AccessEvent.Method.DIRECTORY)
        assert event.subject == roster["ashida"].user
        assert event.municipality == roster["ashida"].municipality
        assert event.username == ashida.account
        assert event.ip_address == "127.0.0.1"

    def test_the_account_name_is_matched_as_the_directory_matches_it(self, client, roster, ashiya_directory):
        response = _directory_login(client, "  ASHIDA.K ", USERS["ashida"].password)

        assert response.status_code == 302
        assert _logged_in_as(client) == str(roster["ashida"].user.pk)

    def test_the_admin_log_in_takes_the_directory_too(self, client, roster, ashiya_directory):
        kyoko = USERS["kyoko"]
        response = client.post(
            "/admin/login/",
            {
                "municipality": ASHIYA,
                "method": "directory",
                "login": kyoko.account,
                "password": kyoko.password,
                "next": "/mypage/",
            },
        )

        assert response.status_code == 302
        assert response["Location"] == "/mypage/"
        assert _logged_in_as(client) == str(roster["kyoko"].user.pk)

    def test_the_users_are_not_touched(self, client, roster, ashiya_directory):
        user = roster["ashida"].user
        before = User.objects.filter(pk=user.pk).values().get()

        _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        after = User.objects.filter(pk=user.pk).values().get()
        before.pop("last_login"), after.pop("last_login")
        assert after == before, "the directory never updates a user"


class TestRefused:
    def test_a_wrong_password(self, client, roster, ashiya_directory):
        response = _directory_login(client, USERS["ashida"].account, "not-the-password")

        assert response.status_code == 200
        assert _errors(response) == [GENERIC_ERROR]
        assert _logged_in_as(client) is None
        event = _last_event()
        assert (event.kind, event.method) == (AccessEvent.Kind.LOGIN_FAILED, AccessEvent.Method.DIRECTORY)
        assert event.detail["reason"] == "wrong_password"

    def test_the_roster_password_is_not_the_directory_password(self, client, roster, ashiya_directory):
        response = _directory_login(client, USERS["ashida"].account, PASSWORD)

        assert _errors(response) == [GENERIC_ERROR]
        assert _logged_in_as(client) is None

    def test_an_empty_password_is_not_an_anonymous_bind(self, client, roster, ashiya_directory):
        response = _directory_login(client, USERS["ashida"].account, "")

        assert _logged_in_as(client) is None
        assert response.status_code == 200

    def test_an_account_not_in_the_directory(self, client, roster, ashiya_directory):
        response = _directory_login(client, "nobody.here", "whatever-123")

        assert _errors(response) == [GENERIC_ERROR]
        assert _last_event().detail["reason"] == "not_found"

    def test_a_directory_user_on_no_roster_is_refused_and_not_created(self, client, roster, ashiya_directory):
        users, staff = User.objects.count(), StaffMember.objects.count()
        stranger = USERS["stranger"]

        response = _directory_login(client, stranger.account, stranger.password)

        assert _errors(response) == [
            "このアカウントは芦屋市の職員名簿に登録されていないため、ログインできません。"
            "人事担当課にお問い合わせください。"
        ]
        assert _logged_in_as(client) is None
        assert (User.objects.count(), StaffMember.objects.count()) == (users, staff)
        assert not User.objects.filter(username__icontains="temp.contractor").exists()
        event = _last_event()
        assert (event.kind, event.method) == (AccessEvent.Kind.LOGIN_FAILED, AccessEvent.Method.DIRECTORY)
        assert event.detail["reason"] == "not_on_roster"
        assert event.detail["staff_number"] == "999999"
        assert event.municipality.code == ASHIYA

    def test_a_directory_user_without_a_staff_number_is_refused(self, client, roster, ashiya_directory):
        users = User.objects.count()
        response = _directory_login(client, USERS["no_number"].account, USERS["no_number"].password)

        assert "職員名簿に登録されていない" in _errors(response)[0]
        assert User.objects.count() == users
        assert _last_event().detail["reason"] == "no_staff_number"

    def test_a_staff_number_on_the_other_municipalitys_roster_is_refused(self, client, roster, ashiya_directory):
        suga = USERS["other_city"]

        response = _directory_login(client, suga.account, suga.password)

        assert _errors(response) == [
            "このアカウントの職員番号は芦屋市の職員名簿にありません。選んだ自治体が正しいか、ご確認ください。"
        ]
        assert _logged_in_as(client) is None
        event = _last_event()
        assert event.detail["reason"] == "other_municipality"
        assert event.detail["roster_of"] == [SUKAGAWA]
        assert event.municipality.code == ASHIYA
        assert event.subject is None

    def test_the_other_municipalitys_directory_is_not_asked(self, client, roster, ashiya_directory, sukagawa):
        """須賀川市 has no directory: 芦屋市's is not consulted for a 須賀川市 log-in."""
        suga = USERS["other_city"]

        response = _directory_login(client, suga.account, suga.password, municipality=SUKAGAWA)

        assert _errors(response) == ["須賀川市では、庁内アカウント（ディレクトリ）でのログインを使っていません。"]
        assert _logged_in_as(client) is None

    def test_a_retired_staff_member_is_refused(self, client, roster, ashiya_directory):
        staff = roster["ashida"]
        staff.is_active = False
        staff.save()

        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        assert _errors(response) == [GENERIC_ERROR]
        assert _logged_in_as(client) is None
        assert _last_event().detail["reason"] == "inactive"
        assert _last_event().subject == staff.user

    def test_a_disabled_directory_is_not_used(self, client, roster, ashiya_directory):
        ashiya_directory.enabled = False
        ashiya_directory.save()

        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        assert _errors(response) == ["芦屋市では、庁内アカウント（ディレクトリ）でのログインを使っていません。"]


class TestFilterInjection:
    def test_the_filter_escapes_every_special_character(self):
        assert user_filter("sAMAccountName", "*") == r"(sAMAccountName=\2a)"
        assert user_filter("sAMAccountName", ")(uid=*") == r"(sAMAccountName=\29\28uid=\2a)"
        assert user_filter("sAMAccountName", "\\") == r"(sAMAccountName=\5c)"
        assert user_filter("uid", "a\x00b") == r"(uid=a\00b)"
        with pytest.raises(ValueError):
            user_filter("uid)(objectClass=*", "x")

    @pytest.mark.parametrize(
        "login",
        [
            "*",
            ")(uid=*",
            "*)(sAMAccountName=*",
            "\\",
            "\\2a",
            # Unescaped, these two would find exactly ashida.k and bind with his password.
            "ashida*",
            "ashida.k*",
            "*.k",
            "ashida.k)(|(employeeID=*",
            "%(user)s",
        ],
    )
    def test_injection_attempts_find_nobody(self, client, roster, ashiya_directory, login):
        response = _directory_login(client, login, USERS["ashida"].password)

        assert response.status_code == 200
        assert _errors(response) == [GENERIC_ERROR]
        assert _logged_in_as(client) is None
        event = _last_event()
        assert event.kind == AccessEvent.Kind.LOGIN_FAILED
        assert event.detail["reason"] == "not_found", "the escaped filter matches no entry"
        assert event.username == login.strip()


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestDirectoryDown:
    @pytest.fixture
    def down_directory(self, ashiya, roster, bind_password_env):
        return directory_config(ashiya, f"ldap://127.0.0.1:{_unused_port()}")

    def test_a_japanese_message_and_no_password_fallback_by_default(self, client, down_directory):
        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        assert _errors(response) == ["ディレクトリサーバーに接続できません。しばらくしてから、もう一度お試しください。"]
        assert _logged_in_as(client) is None
        event = _last_event()
        assert (event.kind, event.method) == (AccessEvent.Kind.LOGIN_FAILED, AccessEvent.Method.DIRECTORY)
        assert event.detail["reason"] == "unavailable"
        assert event.detail["error"] == "SERVER_DOWN"

    def test_the_local_password_is_not_tried_without_the_policy(self, client, down_directory, ashiya_policy):
        """The 職員番号 and the roster password are right, but the city does not allow them when its
        directory is down."""
        response = _directory_login(client, "000103", PASSWORD)

        assert UNAVAILABLE in _errors(response)[0]
        assert _logged_in_as(client) is None
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN).exists()

    def test_the_local_password_where_the_city_allows_it(self, client, roster, down_directory, ashiya_policy):
        ashiya_policy.password_when_directory_down = True
        ashiya_policy.password_allowed = False  # even when the password form is otherwise off
        ashiya_policy.save()

        response = _directory_login(client, "000103", PASSWORD)

        assert response.status_code == 302
        assert _logged_in_as(client) == str(roster["ashida"].user.pk)
        event = _last_event()
        assert (event.kind, event.method) == (AccessEvent.Kind.LOGIN, AccessEvent.Method.PASSWORD)
        assert event.detail == {"fallback": "directory_down"}

    def test_the_fallback_explains_itself_when_the_account_name_was_typed(self, client, down_directory, ashiya_policy):
        ashiya_policy.password_when_directory_down = True
        ashiya_policy.save()

        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        (message,) = _errors(response)
        assert message.startswith(UNAVAILABLE)
        assert "職員番号" in message
        assert _logged_in_as(client) is None

    def test_an_unset_bind_password_variable_is_a_directory_down(self, client, roster, ashiya_directory, monkeypatch):
        monkeypatch.delenv("TEST_ASHIYA_LDAP_BIND_PASSWORD")

        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        assert UNAVAILABLE in _errors(response)[0]
        assert _last_event().detail == {"reason": "unavailable", "error": "bind_password_missing"}

    def test_the_bind_password_kept_in_the_admin(self, client, roster, ashiya_directory):
        from tests.ldap_server import SERVICE_PASSWORD

        ashiya_directory.bind_password_env = ""
        ashiya_directory.bind_password = SERVICE_PASSWORD
        ashiya_directory.save()

        assert _directory_login(client, USERS["ashida"].account, USERS["ashida"].password).status_code == 302

    def test_a_wrong_bind_password_is_a_directory_down(self, client, roster, ashiya_directory, monkeypatch):
        monkeypatch.setenv("TEST_ASHIYA_LDAP_BIND_PASSWORD", "not-the-service-password")

        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        assert UNAVAILABLE in _errors(response)[0]
        assert _last_event().detail["error"] == "INVALID_CREDENTIALS"

    def test_a_stopped_slapd(self, client, roster, bind_password_env, ashiya, tmp_path: Path):
        server = SlapdServer(tmp_path)
        server.start()
        try:
            directory_config(ashiya, server.uri)
            assert _directory_login(client, USERS["ashida"].account, USERS["ashida"].password).status_code == 302
            client.logout()
        finally:
            server.stop()

        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        assert UNAVAILABLE in _errors(response)[0]
        assert _logged_in_as(client) is None

    def test_a_server_that_never_answers_times_out(self, client, roster, ashiya, bind_password_env):
        """A port that accepts connections and never answers (a dead DC behind a firewall)."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        accepted = []
        stop = threading.Event()

        def accept():
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            directory_config(ashiya, f"ldap://127.0.0.1:{listener.getsockname()[1]}", timeout_seconds=1)
            started = time.monotonic()
            response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            thread.join()
            for conn in accepted:
                conn.close()
            listener.close()

        assert UNAVAILABLE in _errors(response)[0]
        assert elapsed < 8, f"the configured timeout was not applied ({elapsed:.1f}s)"
        assert _last_event().detail["reason"] == "unavailable"

    def test_an_unavailable_directory_does_not_use_up_the_persons_attempts(self, client, roster, down_directory, slapd):
        for _ in range(6):
            _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)
        down_directory.server_uri = slapd.uri  # the directory is back
        down_directory.save()

        response = _directory_login(client, USERS["ashida"].account, USERS["ashida"].password)

        assert response.status_code == 302
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.LOCKED_OUT).exists()


class TestPasswordPolicy:
    def test_password_log_in_refused_where_the_city_disallows_it(self, client, roster, ashiya_directory, ashiya_policy):
        ashiya_policy.password_allowed = False
        ashiya_policy.save()

        by_number = _password_login(client, "000103", PASSWORD)
        legacy = client.post("/accounts/login/", {"municipality": ASHIYA, "login": "000205", "password": PASSWORD})
        by_mail = client.post("/accounts/login/", {"login": roster["kyoko"].user.email, "password": PASSWORD})

        message = "芦屋市では、パスワードでのログインは使えません。庁内アカウントまたはシングルサインオンでログインしてください。"
        assert _errors(by_number) == [message]
        assert _errors(legacy) == [message]
        assert _errors(by_mail) == [message]
        assert _logged_in_as(client) is None
        refused = AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN_FAILED, method=AccessEvent.Method.PASSWORD)
        assert [e.detail["reason"] for e in refused] == ["password_disallowed"] * 3
        # The directory still lets them in.
        response = _directory_login(client, USERS["kyoko"].account, USERS["kyoko"].password)
        assert _logged_in_as(client) == str(roster["kyoko"].user.pk)
        assert response.status_code == 302

    def test_another_citys_policy_does_not_apply(self, client, roster, ashiya_policy):
        ashiya_policy.password_allowed = False
        ashiya_policy.save()

        response = _password_login(client, "004006", PASSWORD, municipality=SUKAGAWA)

        assert response.status_code == 302
        assert _logged_in_as(client) == str(roster["suga"].user.pk)
        event = _last_event()
        assert (event.kind, event.method) == (AccessEvent.Kind.LOGIN, AccessEvent.Method.PASSWORD)
        assert event.municipality.code == SUKAGAWA


class TestFailureLimit:
    def test_the_sixth_directory_attempt_is_refused_even_with_the_right_password(
        self, client, roster, ashiya_directory
    ):
        ashida = USERS["ashida"]
        for _ in range(5):
            assert _errors(_directory_login(client, ashida.account, "wrong-password-1")) == [GENERIC_ERROR]

        response = _directory_login(client, ashida.account, ashida.password)

        assert any(LOCKED_ERROR in e for e in _errors(response))
        assert _logged_in_as(client) is None
        event = _last_event()
        assert (event.kind, event.method) == (AccessEvent.Kind.LOCKED_OUT, AccessEvent.Method.DIRECTORY)

    def test_the_limit_is_per_account(self, client, roster, ashiya_directory):
        for _ in range(6):
            _directory_login(client, USERS["ashida"].account, "wrong-password-1")

        response = _directory_login(client, USERS["kyoko"].account, USERS["kyoko"].password)

        assert response.status_code == 302
        assert _logged_in_as(client) == str(roster["kyoko"].user.pk)

    def test_four_failures_do_not_lock(self, client, roster, ashiya_directory):
        for _ in range(4):
            _directory_login(client, USERS["ashida"].account, "wrong-password-1")

        assert _directory_login(client, USERS["ashida"].account, USERS["ashida"].password).status_code == 302


def test_the_directory_policy_default_is_no_fallback(ashiya):
    assert LoginPolicy.for_municipality(ashiya.pk).password_when_directory_down is False
