"""Fixtures of the first-access tests: two municipalities' trees, HR of each, and staff without a
mailbox (the roster gave them none, so they have no usable password)."""

import pytest

from tests.factories import MunicipalityFactory, StaffMemberFactory, department_tree


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
