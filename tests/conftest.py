"""Shared fixtures for the unit and integration tests (tests/e2e has its own conftest)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from courses.services import site_root_ensure

from .factories import PASSWORD, DepartmentFactory, MunicipalityFactory, StaffMemberFactory, department_tree


@pytest.fixture(scope="session", autouse=True)
def _flush_is_an_explicit_purge():
    """The test suite's flush (transactional tests, live_server) empties every table with one
    TRUNCATE, completion records included, which their trigger refuses (decision 0018) unless the
    transaction has declared a purge. Declare it for the flush, and only there."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        return ["SET LOCAL sns.allow_purge = on", *statements] if statements else statements

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate limits (allauth), cached sessions and Wagtail's site root paths live in the cache;
    a test must not inherit another test's. Browser tests under tests/e2e are left alone."""
    if "e2e" in request.node.path.parts:
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_passes_second_factor(request, monkeypatch):
    """`client.force_login(user)` stands for a complete log-in, second factor included (the MFA
    stage is tested in tests/identity/test_mfa.py). Tests marked `real_second_factor` log in
    without it, to see identity.mfa.SecondFactorMiddleware send privileged users to set one up."""
    if "e2e" in request.node.path.parts or request.node.get_closest_marker("real_second_factor"):
        return
    from django.test.client import ClientMixin

    from .helpers import mark_second_factor_passed

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        mark_second_factor_passed(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """setUpTestData for pytest modules: a module-scoped fixture that requests this builds its
    data once; each test still runs in its own savepoint, and the whole lot is rolled back when
    the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def home(db):
    return site_root_ensure()


@pytest.fixture
def ashiya(db):
    return MunicipalityFactory.ashiya()


@pytest.fixture
def sukagawa(db):
    return MunicipalityFactory.sukagawa()


@pytest.fixture
def employee(ashiya):
    return StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))


# Both cities' department trees (tests.factories.department_tree) and an HR person of each; a
# folder's conftest or a module may define its own `tree` (its `hr` then comes with it).
@pytest.fixture
def tree(db):
    return department_tree(MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa())


@pytest.fixture
def hr(tree):
    return StaffMemberFactory(
        municipality=tree["jinji"].municipality, department=tree["jinji"], role="hr", staff_number="000900"
    )


@pytest.fixture
def s_hr(tree):
    return StaffMemberFactory(
        municipality=tree["s_somu"].municipality, department=tree["s_somu"], role="hr", staff_number="000900"
    )
