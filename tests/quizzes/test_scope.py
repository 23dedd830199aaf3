"""Whom each part of a guideline binds (decision 0019), from the real guideline fixtures: the
chapters a person must pass, per employment type and guideline, and who a training cycle assigns.

芦屋市 【プライベート編】 (7–9) binds staff with 職員の身分 only; 委託事業者 and 指定管理者 take the
common chapters (1–3) and 【業務編】 (4–6), which of the 職員 only official-account operators take.
須賀川市 3 適用範囲 1: every kind of 職員 (一般職・特別職・再任用・会計年度任用), so all of its
chapters bind them, and contractors are outside it."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.conf import settings

from courses.models import ChapterPage, GuidelinePage
from courses.services import GuidelineImportError, guidelines_import_files, site_root_ensure
from people.models import StaffMember
from quizzes.selectors import course_progress
from tests.factories import DepartmentFactory, StaffMemberFactory, TrainingCycleFactory
from training.models import Assignment

pytestmark = pytest.mark.django_db

GUIDELINE_DIR = Path(settings.BASE_DIR) / "fixtures" / "guidelines"
STAFF_TYPES = ("regular", "special", "reappointed", "fiscal_year")

ASHIYA_PRIVATE = {"1", "2", "3", "7", "8", "9"}
ASHIYA_ALL = {str(n) for n in range(1, 10)}
ASHIYA_BUSINESS = {"1", "2", "3", "4", "5", "6"}
SUKAGAWA_ALL = {"1", "2", "3", "4", "5"}

EXPECTED = [
    *[("ashiya", t, False, ASHIYA_PRIVATE) for t in STAFF_TYPES],
    *[("ashiya", t, True, ASHIYA_ALL) for t in STAFF_TYPES],
    ("ashiya", "contractor", False, ASHIYA_BUSINESS),
    ("ashiya", "designated_manager", False, ASHIYA_BUSINESS),
    *[("sukagawa", t, official, SUKAGAWA_ALL) for t in STAFF_TYPES for official in (False, True)],
    ("sukagawa", "contractor", False, set()),
    ("sukagawa", "designated_manager", True, set()),
]


@pytest.fixture(scope="module")
def guidelines(module_db):
    """The real guidelines, imported once for the module (each test rolls back its own rows)."""
    site_root_ensure()
    guidelines_import_files(paths=sorted(GUIDELINE_DIR.glob("*.json")))
    return {
        "ashiya": GuidelinePage.objects.get(slug="ashiya-sns-guideline"),
        "sukagawa": GuidelinePage.objects.get(slug="sukagawa-sns-guideline"),
    }


@pytest.mark.parametrize(("town", "employment_type", "official", "required"), EXPECTED)
def test_the_chapters_a_person_must_pass_follow_the_guidelines_scope(
    guidelines, town, employment_type, official, required, ashiya, sukagawa
):
    municipality = {"ashiya": ashiya, "sukagawa": sukagawa}[town]
    person = StaffMemberFactory(
        municipality=municipality,
        department=DepartmentFactory(municipality=municipality),
        employment_type=employment_type,
        operates_official_account=official,
    )
    guideline = guidelines[town]
    chapters = list(ChapterPage.objects.child_of(guideline).live().order_by("path"))

    progress = course_progress(staff=person, guideline=guideline, chapters=chapters)

    assert {row["chapter"].key for row in progress["rows"] if row["required"]} == required
    assert progress["required_count"] == len(required)


@pytest.mark.parametrize("town", ["ashiya", "sukagawa"])
def test_a_cycle_assigns_everyone_the_guideline_binds_and_no_one_else(guidelines, town, ashiya, sukagawa):
    municipality = {"ashiya": ashiya, "sukagawa": sukagawa}[town]
    department = DepartmentFactory(municipality=municipality)
    people = {
        t: StaffMemberFactory(municipality=municipality, department=department, employment_type=t)
        for t in (*STAFF_TYPES, "contractor", "designated_manager")
    }
    elected = StaffMemberFactory(municipality=municipality, department=department, employment_type="special")
    StaffMember.objects.filter(pk=elected.pk).update(elected=True)  # 公選職: outside both guidelines

    cycle = TrainingCycleFactory(guideline=guidelines[town], today=datetime.date(2026, 4, 1))

    assigned = set(Assignment.objects.filter(cycle=cycle).values_list("staff__employment_type", flat=True))
    contractors = {"contractor", "designated_manager"}
    assert assigned == set(STAFF_TYPES) | (contractors if town == "ashiya" else set())
    assert not Assignment.objects.filter(cycle=cycle, staff=elected).exists()
    assert set(people) >= assigned


def test_an_unknown_employment_type_in_binds_is_refused_by_the_import(guidelines, tmp_path):
    data = json.loads((GUIDELINE_DIR / "ashiya.json").read_text(encoding="utf-8"))
    data["slug"] = "ashiya-binds-test"
    data["chapters"][6]["binds"] = ["regular", "mayor"]
    path = tmp_path / "ashiya.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(GuidelineImportError) as caught:
        guidelines_import_files(paths=[path])

    assert "章「7」" in str(caught.value) and "binds" in str(caught.value)
    assert not GuidelinePage.objects.filter(slug="ashiya-binds-test").exists()
