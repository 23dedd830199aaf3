"""Account e-mail and name are not self-service (issue 12, decision 0027): allauth's e-mail page
adds nothing, Wagtail's account page changes no name or address, a reset mails only a verified
roster address, and the names shown come from the staff record."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from people import services
from people.models import RosterImport, StaffMember
from tests.factories import StaffMemberFactory, roster_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(ashiya, hanako):
    return StaffMemberFactory(
        municipality=ashiya,
        department=hanako.department,
        staff_number="000900",
        name="人事 太郎",
        email="hr@ashiya.example.jp",
        role=StaffMember.Role.HR,
    )


def _addresses(user):
    return sorted(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))


class TestAllauthEmailPage:
    def test_the_page_shows_the_roster_address_and_whom_to_ask(self, client, hanako):
        client.force_login(hanako.user)
        response = client.get("/accounts/email/")
        assert response.status_code == 200
        text = response.content.decode()
        assert "hanako@ashiya.example.jp" in text
        assert "人事課" in text
        assert 'name="email"' not in text and "<form" not in text.split("<main")[-1].split("</main>")[0]

    @pytest.mark.parametrize(
        "data",
        [
            {"action_add": "", "email": "attacker@evil.example"},
            {"action_add": "1", "email": "attacker@evil.example"},
            {"action_primary": "", "email": "hanako@ashiya.example.jp"},
            {"action_remove": "", "email": "hanako@ashiya.example.jp"},
            {"action_send": "", "email": "hanako@ashiya.example.jp"},
        ],
    )
    def test_no_post_adds_removes_or_changes_an_address(self, client, hanako, data):
        client.force_login(hanako.user)
        before = _addresses(hanako.user)
        response = client.post("/accounts/email/", data)
        assert response.status_code == 405
        assert _addresses(hanako.user) == before == [("hanako@ashiya.example.jp", True, True)]
        hanako.user.refresh_from_db()
        assert hanako.user.email == "hanako@ashiya.example.jp"
        assert mail.outbox == []

    def test_an_added_address_cannot_log_in_or_reset(self, client, hanako):
        client.force_login(hanako.user)
        client.post("/accounts/email/", {"action_add": "", "email": "attacker@evil.example"})
        client.logout()
        assert not EmailAddress.objects.filter(email="attacker@evil.example").exists()
        client.post("/accounts/password/reset/", {"email": "attacker@evil.example"})
        assert mail.outbox == []

    def test_anonymous_users_are_sent_to_log_in(self, client):
        response = client.get("/accounts/email/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestWagtailAccountPage:
    def test_the_page_has_no_name_or_email_fields(self, client, hr):
        client.force_login(hr.user)
        response = client.get("/admin/account/")
        assert response.status_code == 200
        text = response.content.decode()
        assert 'name="name_email-first_name"' not in text
        assert 'name="name_email-last_name"' not in text
        assert 'name="name_email-email"' not in text
        assert 'name="locale-preferred_language"' in text  # the rest of the page is still there

    def test_a_post_with_name_and_email_changes_nothing(self, client, hr):
        client.force_login(hr.user)
        response = client.post("/admin/account/", ACCOUNT_POST)
        assert response.status_code in (200, 302)
        hr.user.refresh_from_db()
        assert (hr.user.first_name, hr.user.last_name, hr.user.email) == ("人事 太郎", "", "hr@ashiya.example.jp")
        assert _addresses(hr.user) == [("hr@ashiya.example.jp", True, True)]

    def test_the_same_post_would_rename_through_wagtails_stock_view(self, rf, hr):
        """Positive control: the POST above is one Wagtail's own account view acts on."""
        from django.contrib.messages.storage.fallback import FallbackStorage
        from django.contrib.sessions.backends.db import SessionStore
        from wagtail.admin.views.account import AccountView

        request = rf.post("/admin/account/", ACCOUNT_POST)
        request.user = hr.user
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        AccountView.as_view()(request)
        hr.user.refresh_from_db()
        assert (hr.user.first_name, hr.user.last_name) == ("市長", "なりすまし")


ACCOUNT_POST = {
    "name_email-first_name": "市長",
    "name_email-last_name": "なりすまし",
    "name_email-email": "attacker@evil.example",
    "first_name": "市長",
    "last_name": "なりすまし",
    "email": "attacker@evil.example",
    "locale-preferred_language": "ja",
    "locale-current_time_zone": "",
    "theme-theme": "system",
    "theme-density": "default",
    "theme-contrast": "system",
    "theme-keyboard_shortcuts": "on",
}


class TestPasswordResetOnlyToVerifiedRosterAddresses:
    def test_a_verified_roster_address_gets_the_mail(self, client, hanako):
        client.post("/accounts/password/reset/", {"email": "hanako@ashiya.example.jp"})
        assert [m.to for m in mail.outbox] == [["hanako@ashiya.example.jp"]]

    def test_an_unverified_address_gets_nothing(self, client, hanako):
        EmailAddress.objects.create(user=hanako.user, email="unverified@example.jp", verified=False, primary=False)
        known = client.post("/accounts/password/reset/", {"email": "unverified@example.jp"}, follow=True)
        assert known.status_code == 200
        assert mail.outbox == []
        EmailAddress.objects.filter(user=hanako.user, email="hanako@ashiya.example.jp").update(verified=False)
        client.post("/accounts/password/reset/", {"email": "hanako@ashiya.example.jp"})
        assert mail.outbox == []


class TestNamesComeFromTheStaffRecord:
    def test_the_roster_writes_the_display_name(self, client, ashiya, hanako, hr):
        header = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職"
        line = f"000321,芦田 花子（改姓）,ショクイン,{hanako.department.code},一般職,2020-04-01,,1"
        imported = services.roster_import_create(
            municipality=ashiya,
            kind=RosterImport.Kind.STAFF,
            file_name="rename.csv",
            content=roster_csv(line, header=header),
            user=hr.user,
        )
        services.roster_import_commit(roster_import=imported, plan_digest=imported.plan_digest, user=hr.user)
        hanako.user.refresh_from_db()
        assert hanako.user.get_full_name() == "芦田 花子（改姓）"
        client.force_login(hanako.user)
        assert "芦田 花子（改姓）" in client.get("/accounts/email/").content.decode()
