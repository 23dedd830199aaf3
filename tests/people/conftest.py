"""Fixtures shared by the people tests."""

import pytest

from tests.factories import DepartmentFactory, StaffMemberFactory


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
def taro(tree):
    return StaffMemberFactory(
        municipality=tree["koho"].municipality, department=tree["koho"], staff_number="000101", name="芦屋 太郎"
    )
