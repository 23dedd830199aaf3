"""Fixtures of the self-check tests: both real guidelines imported (their clause keys are what the
rules cite) and staff of each municipality."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import DepartmentFactory, StaffMemberFactory

GUIDELINE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "guidelines"


@pytest.fixture
def guidelines(home, ashiya, sukagawa):
    from courses.services import guidelines_import_files

    guidelines_import_files(paths=sorted(GUIDELINE_DIR.glob("*.json")))
    return {"ashiya": ashiya, "sukagawa": sukagawa}


@pytest.fixture
def ashiya_staff(guidelines):
    m = guidelines["ashiya"]
    return StaffMemberFactory(municipality=m, department=DepartmentFactory(municipality=m, name="広報課"))


@pytest.fixture
def sukagawa_staff(guidelines):
    m = guidelines["sukagawa"]
    return StaffMemberFactory(municipality=m, department=DepartmentFactory(municipality=m, name="秘書広報課"))
