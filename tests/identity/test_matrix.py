"""The role × method matrix of issue 12: every role logs in by every method its municipality
allows — 職員番号 + password, the directory (a real slapd), OpenID Connect and SAML (real IdP
processes), and for staff without a mailbox the first-access code from a letter — and lands where
that role works. HR, editors, approvers and the platform admin reach no admin or HR page until a
second factor is set up, and must pass it at the next log-in, whichever method they used.

One person of 芦屋市 (職員番号 000103) is known to every method: the directory's ashida.k and the
IdPs' tanaka both carry that 職員番号. Each case gives that person the role under test."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from courses.services import editorial_setup
from identity import services as identity_services
from identity.models import AccessEvent
from people.models import StaffMember, User
from tests.factories import PASSWORD, DepartmentFactory, GuidelinePageFactory, StaffMemberFactory, UserFactory
from tests.helpers import totp_code
from tests.ldap_server import USERS

from .test_sso import (  # noqa: F401  (fixtures)
    OIDC_SLUG,
    SAML_SLUG,
    _oidc_secret_in_env,
    oidc_log_in,
    oidc_rows,
    saml_log_in,
    saml_row,
)

# Transactional: allauth marks the enrolment as a passed second factor in an on-commit callback.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_second_factor]

ASHIYA = "282065"
SETUP_URL = "/accounts/2fa/totp/activate/"
AUTHENTICATE_URL = "/accounts/2fa/authenticate/"
NEW_PASSWORD = "Hajimete-no-pass-2026"

ROLES = ["employee", "no_mailbox", "department_head", "hr", "editor", "approver"]
METHODS = ["password", "directory", "oidc", "saml"]
PRIVILEGED = {"hr", "editor", "approver"}


@pytest.fixture
def everything(ashiya, sukagawa, ashiya_directory, oidc_rows, saml_row):  # noqa: F811 (fixtures)
    from tests.e2e.conftest import _wagtail_seed_ensure

    _wagtail_seed_ensure()  # the root page, which the flush of a transactional test removes
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-matrix")
    editors, approvers = editorial_setup(guideline=guideline)
    return {"editors": editors, "approvers": approvers, "municipality": ashiya}


def _person(role: str, setup: dict) -> StaffMember:
    """芦屋市's 000103 with `role` (and no mailbox, no password, for the no-mailbox employee)."""
    department = DepartmentFactory(municipality=setup["municipality"], code="3100", name="広報課")
    kwargs = {"municipality": setup["municipality"], "department": department, "staff_number": "000103"}
    if role == "no_mailbox":
        kwargs.update(email="", password=None, employment_type="fiscal_year")
    if role in ("department_head", "hr"):
        kwargs["role"] = role
    person = StaffMemberFactory(name="芦田 健", **kwargs)
    if role in ("editor", "approver"):
        group: Group = setup["editors" if role == "editor" else "approvers"]
        person.user.groups.add(group)
    return person


def _first_password(client, person) -> None:
    """HR's letter gives a setup code; the person sets a password on the setup page."""
    hr = StaffMemberFactory(municipality=person.municipality, role="hr", staff_number="000900")
    [issued] = identity_services.setup_codes_issue(
        issued_by=hr.user, staff_qs=StaffMember.objects.filter(pk=person.pk), request=None
    )
    response = client.post(
        reverse("first_access:setup"),
        {
            "municipality": ASHIYA,
            "staff_number": person.staff_number,
            "code": issued.code,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def _log_in(client, method: str, person, idps: dict, password: str):
    if method == "password":
        data = {"municipality": ASHIYA, "method": "password", "login": person.staff_number, "password": password}
        return client.post(reverse("account_login"), data)
    if method == "directory":
        user = USERS["ashida"]
        data = {"municipality": ASHIYA, "method": "directory", "login": user.account, "password": user.password}
        return client.post(reverse("account_login"), data)
    if method == "oidc":
        return oidc_log_in(client, idps["oidc"], OIDC_SLUG, "tanaka")
    return saml_log_in(client, idps["saml"], SAML_SLUG, "tanaka")


def _logged_in(client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_by_each_method(client, everything, oidc_idp, saml_idp, role, method):
    person = _person(role, everything)
    users_before = User.objects.count()
    password = PASSWORD
    if role == "no_mailbox":
        assert not person.user.has_usable_password()
        _first_password(client, person)
        password = NEW_PASSWORD

    response = _log_in(client, method, person, {"oidc": oidc_idp, "saml": saml_idp}, password)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert _logged_in(client) == str(person.user.pk)
    assert User.objects.count() == users_before + (1 if role == "no_mailbox" else 0)  # the letter's HR only
    event = AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN, subject=person.user).latest("pk")
    assert event.method == method
    assert client.get(reverse("courses:mypage")).status_code == 200

    if role == "department_head":
        assert client.get("/department/").status_code == 200
    if role not in PRIVILEGED:
        # No admin for them (a page says what it is for, decision 0042), and no second factor asked.
        admin = client.get("/admin/")
        assert admin.status_code == 403 and "管理画面は人事担当・編集担当の方向けです" in admin.content.decode()
        assert client.get("/reports/").status_code in (302, 403, 404)
        return

    # A privileged role reaches no admin or HR page before setting up a second factor …
    for path in ("/admin/", "/staff/", "/department/", "/reports/"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked["Location"].startswith(SETUP_URL), (path, blocked)
    secret = client.get(SETUP_URL).context["form"].secret
    assert client.post(SETUP_URL, {"code": totp_code(secret)}).status_code == 302
    assert client.get("/admin/").status_code == 200

    # … and must pass it at the next log-in by the same method (here with a recovery code from
    # the enrolment: the authenticator app's code of this window is spent).
    client.post(reverse("account_logout"))
    response = _log_in(client, method, person, {"oidc": oidc_idp, "saml": saml_idp}, password)
    if response["Location"] == AUTHENTICATE_URL:
        assert _logged_in(client) is None  # allauth's MFA stage: not logged in until the code
        gate_url = AUTHENTICATE_URL
    else:
        gate = client.get("/admin/")
        assert gate.status_code == 302 and gate["Location"].startswith("/accounts/2fa/"), gate
        gate_url = gate["Location"].split("?")[0]
    assert client.get("/admin/").status_code == 302
    code = _recovery_code(person.user)
    assert client.post(gate_url, {"code": code}).status_code == 302
    assert _logged_in(client) == str(person.user.pk)
    assert client.get("/admin/").status_code == 200


def _recovery_code(user) -> str:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return RecoveryCodes(authenticator).get_unused_codes()[0]


def test_the_platform_admin_logs_in_by_password_and_needs_a_second_factor(client, everything):
    admin = UserFactory(is_superuser=True, is_staff=True, email="admin@example.jp")

    response = client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})

    assert response.status_code == 302 and _logged_in(client) == str(admin.pk)
    blocked = client.get("/admin/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(SETUP_URL)
    secret = client.get(SETUP_URL).context["form"].secret
    assert client.post(SETUP_URL, {"code": totp_code(secret)}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN, subject=admin, method="password").exists()


def test_a_platform_admin_cannot_come_in_through_a_citys_idp_or_directory(client, everything, oidc_idp):
    """The platform admin has no staff record: no directory or IdP account matches them."""
    UserFactory(is_superuser=True, is_staff=True, email="s000103@ashiya.example.jp")  # the IdP's e-mail
    before = User.objects.count()
    response = oidc_log_in(client, oidc_idp, OIDC_SLUG, "tanaka")
    assert _logged_in(client) is None
    assert response.status_code == 403
    assert User.objects.count() == before
