"""Fixtures of the report tests: both municipalities with departments, people in every role, a
guideline each, and completion records written directly with their snapshot fields (as
quizzes.services.attestation_create writes them)."""

from __future__ import annotations

import datetime
import itertools
from types import SimpleNamespace

import pytest
from django.urls import reverse

from courses import versions
from people.models import StaffMember
from quizzes.models import CompletionRecord
from tests.factories import GuidelinePageFactory, StaffMemberFactory, department_tree

Role = StaffMember.Role


@pytest.fixture(autouse=True)
def _japanese():
    """A request in English leaves English active in the test thread (the site's language
    middleware activates the chosen language); each test here starts and ends in Japanese."""
    from django.utils import translation

    translation.activate("ja")
    yield
    translation.activate("ja")


TOKYO = datetime.timezone(datetime.timedelta(hours=9))
_codes = itertools.count(1)


def make_record(staff, guideline, *, fiscal_year=2025, **snapshot) -> CompletionRecord:
    """A completion record as attestation writes it, snapshotting the person as they are now
    (or as `snapshot` says)."""
    completed = snapshot.pop("completed_at", datetime.datetime(fiscal_year, 6, 2, 10, 30, tzinfo=TOKYO))
    version = versions.current(guideline)
    values = {
        "staff": staff,
        "guideline": guideline,
        "fiscal_year": fiscal_year,
        "municipality_name": staff.municipality.name,
        "staff_number": staff.staff_number,
        "staff_name": staff.name,
        "department_code": staff.department.code,
        "department_name": staff.department.name,
        "employment_type": staff.employment_type,
        "employment_type_label": str(staff.get_employment_type_display()),
        "guideline_title": guideline.title,
        "guideline_version": str(version.label),
        "version": version,
        "guideline_revision_id": guideline.live_revision_id,
        "content_hash": "ab" * 32,
        "clauses_mastered": 8,
        "clauses_total": 8,
        "first_try_correct": 7,
        "first_try_total": 8,
        "completed_at": completed,
        "attested_at": completed + datetime.timedelta(minutes=5),
        "verification_code": f"C{next(_codes):011d}",
    } | snapshot
    record = CompletionRecord(**values)
    record.save()
    return record


@pytest.fixture
def world(ashiya, sukagawa):
    """芦屋市: 企画部 › 広報課 › 広報係, 総務部 › 人事課; 須賀川市: 総務部 (same code 2000 as 芦屋市's)."""
    tree = department_tree(ashiya, sukagawa)

    def staff(number, name, department, role=Role.EMPLOYEE, municipality=ashiya, **kwargs):
        return StaffMemberFactory(
            municipality=municipality, department=department, staff_number=number, name=name, role=role, **kwargs
        )

    people = SimpleNamespace(
        employee=staff("00123", "芦屋 一郎", tree["koho"]),
        colleague=staff("00124", "芦屋 同僚", tree["koho"]),
        kakari=staff("00125", "芦屋 係員", tree["koho_kakari"]),
        somu=staff("00126", "芦屋 総務", tree["somu"]),
        head=staff("00200", "芦屋 部長", tree["kikaku"], Role.DEPARTMENT_HEAD),
        hr=staff("00300", "芦屋 人事", tree["jinji"], Role.HR),
        s_employee=staff("S-0001", "須賀 花子", tree["s_somu"], municipality=sukagawa),
        s_hr=staff("S-0300", "須賀 人事", tree["s_somu"], Role.HR, municipality=sukagawa),
    )
    guidelines = SimpleNamespace(
        ashiya=GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test"),
        sukagawa=GuidelinePageFactory(municipality=sukagawa, title="須賀川市テストガイドライン", slug="sukagawa-test"),
    )
    return SimpleNamespace(ashiya=ashiya, sukagawa=sukagawa, tree=tree, people=people, guidelines=guidelines)


@pytest.fixture
def records(world):
    """One 令和7年度 record each for the 芦屋市 staff (and one for 須賀 花子), one 令和6年度 for 芦屋 一郎."""
    p, g = world.people, world.guidelines
    made = SimpleNamespace(
        employee=make_record(p.employee, g.ashiya),
        colleague=make_record(p.colleague, g.ashiya),
        kakari=make_record(p.kakari, g.ashiya),
        somu=make_record(p.somu, g.ashiya),
        employee_2024=make_record(p.employee, g.ashiya, fiscal_year=2024),
        s_employee=make_record(p.s_employee, g.sukagawa),
    )
    return made


def export_url(**params) -> str:
    from urllib.parse import urlencode

    return reverse("reports_admin:completion_records") + "?" + urlencode(params)


def streamed(response) -> bytes:
    """The body of a download, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content
