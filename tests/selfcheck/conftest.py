"""Fixtures of the self-check tests: both real guidelines imported once per module (their clause
keys are what the rules cite) and staff of each municipality."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import DepartmentFactory, MunicipalityFactory, StaffMemberFactory

GUIDELINE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "guidelines"


@pytest.fixture(scope="module")
def guidelines(module_db):
    """The real guidelines, imported once for the module (each test rolls back its own rows)."""
    from courses.services import guidelines_import_files, site_root_ensure

    site_root_ensure()
    guidelines_import_files(paths=sorted(GUIDELINE_DIR.glob("*.json")))
    return {"ashiya": MunicipalityFactory.ashiya(), "sukagawa": MunicipalityFactory.sukagawa()}


@pytest.fixture
def ashiya_staff(guidelines, db):
    m = guidelines["ashiya"]
    return StaffMemberFactory(municipality=m, department=DepartmentFactory(municipality=m, name="広報課"))


@pytest.fixture
def sukagawa_staff(guidelines, db):
    m = guidelines["sukagawa"]
    return StaffMemberFactory(municipality=m, department=DepartmentFactory(municipality=m, name="秘書広報課"))
