"""A real slapd (tests/ldap_server.py) for the directory tests, and the rosters it is checked
against: 芦屋市 has 芦田 健 (000103) and 芦屋 京子 (000205); 須賀川市 has 須賀 光 (004006), whose
directory account sits in 芦屋市's tree; temp.contractor (999999) is on no roster."""

from __future__ import annotations

import pytest

from identity.models import DirectoryConfig, LoginPolicy
from people.models import StaffMember
from tests.factories import DepartmentFactory, StaffMemberFactory
from tests.ldap_server import SERVICE_DN, SERVICE_PASSWORD, USERS_OU, slapd_running

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
