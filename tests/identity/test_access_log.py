"""The access log (issue 12): every log-in, failure, lock-out, log-out, password reset and change
and every refused admin/HR URL is recorded (identity/receivers.py, identity/middleware.py); HR
reads their municipality's entries in アクセス記録 (list, entry, CSV), nobody else's; the purge
keeps each municipality's retention."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from identity.models import AccessEvent, LoginPolicy
from identity.services import LOGIN_METHOD_SESSION_KEY, access_event_record
from people.models import StaffMember, User
from tests.factories import PASSWORD, DepartmentFactory, StaffMemberFactory, TrainingCycleFactory
from tests.helpers import response_text

pytestmark = pytest.mark.django_db

Kind = AccessEvent.Kind
Role = StaffMember.Role
NEW_PASSWORD = "Another-Passw0rd-2026"


def _events(kind):
    return list(AccessEvent.objects.filter(kind=kind).order_by("pk"))


@pytest.fixture
def hanako(ashiya):
    return StaffMemberFactory(
        municipality=ashiya,
        department=DepartmentFactory(municipality=ashiya),
        staff_number="000123",
        name="芦屋 花子",
        email="hanako@ashiya.example.jp",
    )


@pytest.fixture
def hr(ashiya):
    return StaffMemberFactory(municipality=ashiya, staff_number="000900", name="芦屋 人事", role=Role.HR)


@pytest.fixture
def other_hr(sukagawa):
    return StaffMemberFactory(municipality=sukagawa, staff_number="000900", name="須賀川 人事", role=Role.HR)


@pytest.fixture
def platform_admin(db):
    return User.objects.create_superuser(username="platform", email="platform@example.jp", password=PASSWORD)


# --- receivers ---------------------------------------------------------------------------------------


class TestReceivers:
    def test_a_password_log_in_is_recorded_with_its_method_and_address(self, client, hanako):
        response = client.post("/accounts/login/", {"login": "hanako@ashiya.example.jp", "password": PASSWORD})

        assert response.status_code == 302
        [event] = _events(Kind.LOGIN)
        assert event.method == AccessEvent.Method.PASSWORD
        assert event.subject == hanako.user and event.actor == hanako.user
        assert event.municipality_id == hanako.municipality_id
        assert event.ip_address == "127.0.0.1"

    def test_the_method_noted_before_the_log_in_is_the_one_recorded(self, rf, hanako):
        # What SSO code does through identity.services.login_method_note, then Django's login().
        from django.contrib.auth import login
        from django.contrib.sessions.backends.cache import SessionStore

        from identity.services import login_method_note

        request = rf.get("/")
        request.session = SessionStore()
        login_method_note(request=request, method=AccessEvent.Method.SAML, username="hanako@idp")
        login(request, hanako.user, backend="people.backends.StaffAuthenticationBackend")

        [event] = _events(Kind.LOGIN)
        assert (event.method, event.username) == (AccessEvent.Method.SAML, "hanako@idp")
        assert LOGIN_METHOD_SESSION_KEY not in request.session  # taken, not left for the next log-in

    def test_a_stale_note_does_not_name_the_method_of_a_password_log_in(self, client, hanako):
        session = client.session
        session[LOGIN_METHOD_SESSION_KEY] = AccessEvent.Method.DIRECTORY
        session.save()

        client.post("/accounts/login/", {"login": "hanako@ashiya.example.jp", "password": "wrong-1"})
        client.post("/accounts/login/", {"login": "hanako@ashiya.example.jp", "password": PASSWORD})

        [failed] = _events(Kind.LOGIN_FAILED)
        [login] = _events(Kind.LOGIN)
        assert failed.method == AccessEvent.Method.PASSWORD
        assert login.method == AccessEvent.Method.PASSWORD
        assert failed.detail == {"reason": "invalid"}

    def test_a_failed_log_in_keeps_the_name_as_typed_and_its_municipality(self, client, hanako, sukagawa):
        client.post("/accounts/login/", {"municipality": "282065", "login": "000123", "password": "wrong-1"})
        client.post("/accounts/login/", {"municipality": "072079", "login": "nobody", "password": "wrong-1"})
        client.post("/accounts/login/", {"login": "who@example.jp", "password": "wrong-1"})

        first, second, third = _events(Kind.LOGIN_FAILED)
        # As typed in the form; the municipality chosen beside it.
        assert (first.username, first.municipality_id, first.subject) == ("000123", hanako.municipality_id, hanako.user)
        assert (second.username, second.municipality_id, second.subject) == ("nobody", sukagawa.pk, None)
        assert (third.username, third.municipality_id) == ("who@example.jp", None)
        assert all(e.ip_address == "127.0.0.1" for e in (first, second, third))
        assert _events(Kind.LOGIN) == []

    def test_the_sixth_attempt_after_five_failures_is_recorded_as_a_lock_out(self, client, hanako):
        for _ in range(5):
            client.post("/accounts/login/", {"login": "hanako@ashiya.example.jp", "password": "wrong-1"})
        assert len(_events(Kind.LOGIN_FAILED)) == 5
        assert _events(Kind.LOCKED_OUT) == []

        response = client.post("/accounts/login/", {"login": "hanako@ashiya.example.jp", "password": PASSWORD})

        assert "_auth_user_id" not in client.session
        assert "一時的に停止" in response_text(response)
        [event] = _events(Kind.LOCKED_OUT)
        assert event.username == "hanako@ashiya.example.jp"
        assert event.subject == hanako.user
        assert event.municipality_id == hanako.municipality_id
        assert len(_events(Kind.LOGIN_FAILED)) == 5

    def test_log_out_is_recorded(self, client, hanako):
        client.force_login(hanako.user)
        client.post("/accounts/logout/")

        [event] = _events(Kind.LOGOUT)
        assert event.actor == hanako.user and event.municipality_id == hanako.municipality_id

    def test_a_password_reset_is_recorded(self, client, hanako):
        client.post("/accounts/password/reset/", {"email": "hanako@ashiya.example.jp"})
        [message] = mail.outbox
        link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
        response = client.get(link)
        assert response.status_code == 302
        response = client.post(response["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 302

        [event] = _events(Kind.PASSWORD_RESET)
        assert event.subject == hanako.user
        assert event.actor is None
        assert event.municipality_id == hanako.municipality_id
        assert event.ip_address == "127.0.0.1"

    def test_a_password_change_is_recorded(self, client, hanako):
        client.force_login(hanako.user)
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 302

        [event] = _events(Kind.PASSWORD_CHANGED)
        assert event.actor == hanako.user and event.subject == hanako.user
        assert event.municipality_id == hanako.municipality_id

    def test_client_address_comes_through_trusted_proxies_only(self, client, hanako):
        client.post(
            "/accounts/login/",
            {"login": "hanako@ashiya.example.jp", "password": "wrong-1"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            REMOTE_ADDR="198.51.100.7",
        )
        [event] = _events(Kind.LOGIN_FAILED)
        assert event.ip_address == "198.51.100.7"  # not a trusted proxy: its header is not believed


# --- refused admin / HR URLs --------------------------------------------------------------------------


class TestRefusedAccess:
    def test_the_other_municipalitys_object_in_the_admin_is_refused_and_recorded(self, client, hr, sukagawa):
        theirs = StaffMemberFactory(municipality=sukagawa)
        client.force_login(hr.user)

        response = client.get(f"/admin/hr-reports/personnel/{theirs.pk}/")

        assert response.status_code == 404
        [event] = _events(Kind.ACCESS_REFUSED)
        assert event.actor == hr.user
        assert event.municipality_id == hr.municipality_id
        assert event.detail == {
            "path": f"/admin/hr-reports/personnel/{theirs.pk}/",
            "method": "GET",
            "status": 404,
            "url_name": "hr_reports:personnel",
        }

    def test_a_url_the_policy_table_refuses_is_recorded(self, client, hr, sukagawa):
        cycle = TrainingCycleFactory(guideline__municipality=sukagawa)
        client.force_login(hr.user)

        assert client.get(f"/admin/training_cycles/edit/{cycle.pk}/").status_code == 404
        assert client.get("/admin/reports/site-history/").status_code == 403

        statuses = [(e.detail["url_name"], e.detail["status"]) for e in _events(Kind.ACCESS_REFUSED)]
        assert statuses == [("training_cycles:edit", 404), ("wagtailadmin_reports:site_history", 403)]

    def test_an_employee_sent_away_from_the_admin_is_recorded(self, client, hanako):
        client.force_login(hanako.user)

        response = client.get("/admin/access-log/")

        assert response.status_code == 403  # the page saying what the admin is for (decision 0042)
        [event] = _events(Kind.ACCESS_REFUSED)
        assert event.actor == hanako.user
        assert event.detail["status"] == 403 and event.detail["url_name"] == "access_log:index"

    def test_an_admin_user_without_the_logs_permission_is_sent_home_and_recorded(self, client, hanako):
        from django.contrib.auth.models import Permission

        hanako.user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(hanako.user)

        response = client.get("/admin/access-log/")

        assert (response.status_code, response["Location"]) == (302, "/admin/")
        [event] = _events(Kind.ACCESS_REFUSED)
        assert event.detail["url_name"] == "access_log:index" and event.detail["status"] == 302
        # An ordinary redirect of the admin is no refusal.
        client.get("/admin/access-log")  # APPEND_SLASH
        assert len(_events(Kind.ACCESS_REFUSED)) == 1

    def test_an_hr_staff_page_of_another_municipality_is_recorded(self, client, hr, sukagawa):
        theirs = StaffMemberFactory(municipality=sukagawa)
        client.force_login(hr.user)

        assert client.get(f"/staff/{theirs.pk}/").status_code == 404

        [event] = _events(Kind.ACCESS_REFUSED)
        assert event.detail["url_name"] == "people:staff_detail"

    def test_anonymous_visitors_and_unknown_paths_are_not_recorded(self, client, hr):
        assert client.get("/admin/access-log/").status_code == 302  # to the log-in page
        client.force_login(hr.user)
        assert client.get("/static/no-such-file.css").status_code == 404
        assert client.get("/admin/no-such-view/").status_code == 404
        assert _events(Kind.ACCESS_REFUSED) == []

    def test_an_allowed_request_costs_no_query_and_writes_nothing(self, client, hr, settings):
        client.force_login(hr.user)
        client.get("/admin/access-log/")  # warm caches (site root, content types)
        before = AccessEvent.objects.count()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as with_middleware:
            assert client.get("/admin/access-log/").status_code == 200
        without = [m for m in settings.MIDDLEWARE if m != "identity.middleware.AccessRefusedMiddleware"]
        with override_settings(MIDDLEWARE=without), CaptureQueriesContext(connection) as without_middleware:
            assert client.get("/admin/access-log/").status_code == 200

        assert len(with_middleware) == len(without_middleware)
        assert AccessEvent.objects.count() == before


# --- HR's view ---------------------------------------------------------------------------------------


@pytest.fixture
def logged(ashiya, sukagawa, hanako):
    """One entry of each municipality, each name carrying its municipality's marker."""
    own = access_event_record(kind=Kind.LOGIN_FAILED, municipality_id=ashiya.pk, username="282065-ashiya-mark")
    theirs = access_event_record(kind=Kind.LOGIN_FAILED, municipality_id=sukagawa.pk, username="072079-sukagawa-mark")
    login = access_event_record(kind=Kind.LOGIN, actor=hanako.user, subject=hanako.user, method="directory")
    return {"own": own, "theirs": theirs, "login": login}


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


class TestHRView:
    def test_hr_lists_only_their_municipalitys_entries(self, client, hr, logged):
        client.force_login(hr.user)

        response = client.get("/admin/access-log/")

        text = response_text(response)
        assert response.status_code == 200
        assert "ashiya-mark" in text and "芦屋 花子（000123）" in text
        assert "sukagawa-mark" not in text

    def test_hr_downloads_only_their_municipalitys_entries(self, client, hr, logged):
        client.force_login(hr.user)

        rows = _csv(client.get("/admin/access-log/?download=csv"))

        assert rows[0][:3] == ["日時", "種類", "方法"]
        usernames = {row[8] for row in rows[1:]}
        assert "282065-ashiya-mark" in usernames
        assert not any("sukagawa" in cell for row in rows for cell in row)
        login = next(row for row in rows if row[1] == "ログイン" and row[5] == "000123")
        assert login[2] == "ディレクトリ" and login[4] == "芦屋 花子（000123）"

    def test_filters_by_kind_method_person_and_dates(self, client, hr, logged):
        client.force_login(hr.user)
        today = timezone.localdate()
        AccessEvent.objects.filter(pk=logged["own"].pk).update(
            created_at=timezone.now() - datetime.timedelta(days=8, hours=12)
        )

        by_kind = response_text(client.get("/admin/access-log/?kind=login"))
        by_method = response_text(client.get("/admin/access-log/?method=password"))
        by_person = response_text(client.get("/admin/access-log/?person=000123"))
        start, end = today - datetime.timedelta(days=9), today - datetime.timedelta(days=8)
        by_date = response_text(client.get(f"/admin/access-log/?created_at_from={start}&created_at_to={end}"))
        csv_rows = _csv(client.get("/admin/access-log/?download=csv&kind=login_failed"))

        assert "芦屋 花子" in by_kind and "ashiya-mark" not in by_kind
        assert "芦屋 花子" not in by_method
        assert "芦屋 花子" in by_person and "ashiya-mark" not in by_person
        assert "ashiya-mark" in by_date and "芦屋 花子" not in by_date
        assert [row[8] for row in csv_rows[1:]] == ["282065-ashiya-mark"]

    def test_a_download_with_a_filter_that_does_not_parse_is_refused(self, client, hr, logged):
        client.force_login(hr.user)

        response = client.get("/admin/access-log/?download=csv&created_at_from=yesterday")

        assert response.status_code == 400
        assert "ashiya-mark" not in response.content.decode()

    def test_hr_opens_an_entry_of_their_own_municipality(self, client, hr, logged):
        client.force_login(hr.user)

        response = client.get(f"/admin/access-log/{logged['own'].pk}/")

        assert response.status_code == 200
        assert "282065-ashiya-mark" in response_text(response)

    def test_the_other_municipalitys_hr_cannot_open_an_entry(self, client, other_hr, logged):
        client.force_login(other_hr.user)

        response = client.get(f"/admin/access-log/{logged['own'].pk}/")

        assert response.status_code == 404
        assert "ashiya-mark" not in response_text(response)
        assert "ashiya-mark" not in response_text(client.get("/admin/access-log/"))
        rows = _csv(client.get("/admin/access-log/?download=csv"))
        assert "072079-sukagawa-mark" in [row[8] for row in rows[1:]]
        assert not any("ashiya" in cell for row in rows for cell in row)
        # The attempt itself is in their own municipality's log.
        refused = next(row for row in rows if row[1] == "アクセス拒否")
        assert f"/admin/access-log/{logged['own'].pk}/" in refused[10]

    @pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.DEPARTMENT_HEAD])
    def test_employees_and_department_heads_are_refused(self, client, ashiya, logged, role):
        person = StaffMemberFactory(municipality=ashiya, role=role)
        client.force_login(person.user)

        for url in ("/admin/access-log/", "/admin/access-log/?download=csv", f"/admin/access-log/{logged['own'].pk}/"):
            response = client.get(url)
            assert response.status_code in (302, 403, 404), url
            assert "ashiya-mark" not in response_text(response), url
        assert "アクセス記録" not in response_text(client.get("/admin/", follow=True))

    def test_the_menu_offers_the_log_to_hr(self, client, hr):
        client.force_login(hr.user)
        assert "/admin/access-log/" in response_text(client.get("/admin/"))

    def test_the_platform_admin_sees_every_municipality(self, client, platform_admin, logged, sukagawa):
        client.force_login(platform_admin)

        text = response_text(client.get("/admin/access-log/"))
        only_theirs = response_text(client.get(f"/admin/access-log/?municipality={sukagawa.pk}"))

        assert "ashiya-mark" in text and "sukagawa-mark" in text
        assert "sukagawa-mark" in only_theirs and "ashiya-mark" not in only_theirs

    def test_every_cell_of_the_csv_is_escaped(self, client, hr, ashiya):
        access_event_record(
            kind=Kind.LOGIN_FAILED,
            municipality_id=ashiya.pk,
            username='=HYPERLINK("http://evil.example/","x")',
            detail={"note": "x"},
        )
        access_event_record(kind=Kind.LOGIN_FAILED, municipality_id=ashiya.pk, username="＠SUM(A1)")
        client.force_login(hr.user)

        rows = _csv(client.get("/admin/access-log/?download=csv"))

        usernames = [row[8] for row in rows[1:]]
        assert '\'=HYPERLINK("http://evil.example/","x")' in usernames
        assert "'＠SUM(A1)" in usernames
        assert not any(cell[:1] in "=+-@" for row in rows for cell in row if cell)


# --- retention -----------------------------------------------------------------------------------------


def _aged(days: int, **kwargs) -> AccessEvent:
    event = access_event_record(kind=Kind.LOGIN_FAILED, **kwargs)
    AccessEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))
    return event


@override_settings(IDENTITY_ACCESS_LOG_RETENTION_DAYS=10)
def test_the_purge_deletes_exactly_the_entries_past_each_municipalitys_retention(ashiya, sukagawa):
    LoginPolicy.objects.create(municipality=ashiya, access_log_retention_days=30)
    # 須賀川市 has no policy row: the default (3 years).
    keep = [
        _aged(29, municipality_id=ashiya.pk),
        _aged(1000, municipality_id=sukagawa.pk),
        _aged(9, username="unknown"),
    ]
    gone = [
        _aged(31, municipality_id=ashiya.pk),
        _aged(3 * 365 + 1, municipality_id=sukagawa.pk),
        _aged(11, username="unknown"),
    ]
    out = io.StringIO()

    call_command("purge_access_events", stdout=out)

    remaining = set(AccessEvent.objects.values_list("pk", flat=True))
    assert remaining == {e.pk for e in keep}
    assert "282065: deleted 1 access event(s) older than 30 day(s)." in out.getvalue()
    assert "Deleted 3 access event(s) in all." in out.getvalue()
    again = io.StringIO()
    call_command("purge_access_events", stdout=again)
    assert "Deleted 0 access event(s) in all." in again.getvalue()
    assert set(AccessEvent.objects.values_list("pk", flat=True)) == remaining
    assert not AccessEvent.objects.filter(pk__in=[e.pk for e in gone]).exists()
