"""Fixtures shared by the people tests."""

import pytest

from tests.factories import DepartmentFactory, MunicipalityFactory, StaffMemberFactory, department_tree


@pytest.fixture
def hanako(ashiya):
    return StaffMemberFactory(
        municipality=ashiya,
        department=DepartmentFactory(municipality=ashiya),
        staff_number="000321",
        name="芦田 花子",
        email="hanako@ashiya.example.jp",
    )


@pytest.fixture
def tree():
    """Both cities' department trees (tests.factories.department_tree); a module may define its own."""
    return department_tree(MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa())


@pytest.fixture
def hr(tree):
    return StaffMemberFactory(
        municipality=tree["jinji"].municipality, department=tree["jinji"], role="hr", staff_number="000900"
    )


@pytest.fixture
def taro(tree):
    return StaffMemberFactory(
        municipality=tree["koho"].municipality, department=tree["koho"], staff_number="000101", name="芦屋 太郎"
    )
