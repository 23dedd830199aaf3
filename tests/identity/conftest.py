"""Fixtures of the SSO tests: the two real identity providers as processes (started once for the
module's tests, stopped afterwards), and SsoProvider rows of 芦屋市 pointing at them.

A real slapd (tests/ldap_server.py) for the directory tests, and the rosters it is checked
against: 芦屋市 has 芦田 健 (000103) and 芦屋 京子 (000205); 須賀川市 has 須賀 光 (004006), whose
directory account sits in 芦屋市's tree; temp.contractor (999999) is on no roster.

Fixtures of the first-access tests: two municipalities' trees, HR of each, and staff without a
mailbox (the roster gave them none, so they have no usable password)."""

from __future__ import annotations

import warnings

import pytest

from identity.models import DirectoryConfig, LoginPolicy
from people.models import StaffMember
from tests.factories import DepartmentFactory, StaffMemberFactory
from tests.ldap_server import SERVICE_DN, SERVICE_PASSWORD, USERS_OU, slapd_running

from .idp.processes import oidc_idp_start, saml_idp_start

SITE = "http://sns.example.test"  # the host the test client names: the redirect and ACS URLs the IdPs know
HOST = "sns.example.test"
OIDC_SLUG, OIDC_MAIL_SLUG, SAML_SLUG = "ashiya-oidc", "ashiya-oidc-mail", "ashiya-saml"
EVIL_SP = "http://evil.example/sp"

# Who the IdPs know. The roster of each test decides who of them is staff.
IDP_PEOPLE = {
    "tanaka": {"email": "s000103@ashiya.example.jp", "employee_id": "000103"},  # 芦屋市 staff
    "mailonly": {"email": "s000104@ashiya.example.jp", "employee_id": ""},  # matched by e-mail only
    "stranger": {"email": "stranger@example.com", "employee_id": "999999"},  # on no roster
    "suka": {"email": "s004003@sukagawa.example.jp", "employee_id": "004003"},  # 須賀川市 staff
    "retired": {"email": "s000150@ashiya.example.jp", "employee_id": "000150"},  # 退職 (inactive)
}


def saml_module():
    """tests/identity/idp/saml_idp.py, imported with pysaml2's own deprecation warnings silenced
    (warnings are errors in this suite; they come from pysaml2's imports, not from us)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from .idp import saml_idp
    return saml_idp


def saml_attributes(person: dict) -> dict:
    attributes = {"employee_id": [person["employee_id"]] if person["employee_id"] else []}
    attributes["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"] = [person["email"]]
    return {k: v for k, v in attributes.items() if v}


@pytest.fixture(scope="session")
def oidc_idp(tmp_path_factory):
    idp = oidc_idp_start(
        tmp_path_factory.mktemp("oidc-idp"),
        redirect_uris=[f"{SITE}/accounts/oidc/{slug}/login/callback/" for slug in (OIDC_SLUG, OIDC_MAIL_SLUG)],
        users=[{"username": name, **person} for name, person in IDP_PEOPLE.items()],
    )
    yield idp
    idp.stop()


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory):
    acs = f"{SITE}/accounts/saml/{SAML_SLUG}/acs/"
    idp = saml_idp_start(
        tmp_path_factory.mktemp("saml-idp"),
        sps=[
            {"entity_id": f"{SITE}/accounts/saml/{SAML_SLUG}/metadata/", "acs_url": acs},
            # Another service provider of the same IdP: its assertions must not open our site.
            {"entity_id": EVIL_SP, "acs_url": acs},
        ],
        users=[{"username": name, "attributes": saml_attributes(person)} for name, person in IDP_PEOPLE.items()],
    )
    yield idp
    idp.stop()


@pytest.fixture
def client():
    """The test client with a Host header with a dot, as a real host name has (python3-saml refuses
    single-label hosts such as "testserver" in its URLs)."""
    from django.test import Client

    return Client(HTTP_HOST=HOST)


BIND_ENV = "TEST_ASHIYA_LDAP_BIND_PASSWORD"


@pytest.fixture(scope="session")
def slapd():
    """Debian's slapd on a free port with the AD-like tree, for the whole session."""
    try:
        context = slapd_running()
        server = context.__enter__()
    except RuntimeError as exc:
        pytest.fail(f"{exc}")
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


def directory_config(municipality, uri: str, **overrides) -> DirectoryConfig:
    values = {
        "server_uri": uri,
        "bind_dn": SERVICE_DN,
        "bind_password_env": BIND_ENV,
        "user_search_base": USERS_OU,
        "login_attribute": "sAMAccountName",
        "staff_number_attribute": "employeeID",
        "timeout_seconds": 2,
        "login_label": "庁内パソコンのユーザー名",
        **overrides,
    }
    return DirectoryConfig.objects.create(municipality=municipality, **values)


@pytest.fixture
def bind_password_env(monkeypatch):
    monkeypatch.setenv(BIND_ENV, SERVICE_PASSWORD)


@pytest.fixture
def ashiya_directory(ashiya, slapd, bind_password_env):
    return directory_config(ashiya, slapd.uri)


@pytest.fixture
def ashiya_policy(ashiya):
    return LoginPolicy.objects.create(municipality=ashiya)


@pytest.fixture
def roster(ashiya, sukagawa):
    koho = DepartmentFactory(municipality=ashiya, code="3100", name="広報課")
    hisho = DepartmentFactory(municipality=sukagawa, code="311", name="秘書広報課")
    return {
        "ashida": StaffMemberFactory(
            municipality=ashiya,
            department=koho,
            staff_number="000103",
            name="芦田 健",
            email="",
            employment_type=StaffMember.EmploymentType.FISCAL_YEAR,
        ),
        "kyoko": StaffMemberFactory(municipality=ashiya, department=koho, staff_number="000205", name="芦屋 京子"),
        "suga": StaffMemberFactory(municipality=sukagawa, department=hisho, staff_number="004006", name="須賀 光"),
    }


def _no_mailbox(department, number, name):
    return StaffMemberFactory(
        municipality=department.municipality,
        department=department,
        staff_number=number,
        name=name,
        email="",
        password=None,
        employment_type="fiscal_year",
    )


@pytest.fixture
def kaori(tree):
    """芦屋市 広報課, no mailbox."""
    return _no_mailbox(tree["koho"], "000501", "芦田 かおり")


@pytest.fixture
def jun(tree):
    """芦屋市 広報係 (below 広報課), no mailbox."""
    return _no_mailbox(tree["koho_kakari"], "000502", "芦川 純")


@pytest.fixture
def s_kaori(tree):
    """須賀川市 総務部, no mailbox, the same 職員番号 as 芦屋市's kaori."""
    return _no_mailbox(tree["s_somu"], "000501", "須賀 かおり")
