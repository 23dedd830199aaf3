"""Browser tests: pytest-playwright on Debian's Chromium against pytest-django's live_server.

Each test gets a flushed database (transactional, so the live server sees the data) with Wagtail's
root page, the two real guideline fixtures imported and one employee per city; tests that ask for
`questions` also get the real scenario questions (fixtures/questions) imported and published.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest
from django.conf import settings

from .helpers import Account

# Playwright's sync API keeps an asyncio loop running in this thread, so Django's async-safety
# check would refuse the fixtures' database access (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
GUIDELINE_DIR = Path(settings.BASE_DIR) / "fixtures" / "guidelines"
QUESTION_DIR = Path(settings.BASE_DIR) / "fixtures" / "questions"
SHOTS_DIR = Path(os.environ.get("E2E_SHOTS_DIR", "/tmp/e2e-shots"))  # noqa: S108
PASSWORD = "e2e-Passw0rd-2026"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium fonts-noto-cjk` "
            "(or set E2E_CHROMIUM). `playwright install` cannot download browsers here."
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Pages are opened by path (page.goto("/mypage/")). Defined here, so pytest-playwright's own
    fallback fixture, which pytest 9 warns about (an error under filterwarnings), is never used."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


@pytest.fixture(scope="session")
def axe_js() -> Path:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `make e2e-deps` (npm install).")
    return AXE_JS


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in SHOTS_DIR.glob("*.png"):
        old.unlink()
    return SHOTS_DIR


def _guideline(slug: str) -> dict:
    return json.loads((GUIDELINE_DIR / f"{slug}.json").read_text(encoding="utf-8"))


def _wagtail_seed_ensure() -> None:
    """What Wagtail's migrations seed (a locale, the root page), which the flush after every
    transactional test empties. (Not serialized_rollback: the connection pytest-django
    serializes is not the one these tests see once Playwright's greenlet runs them.)"""
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))


@pytest.fixture
def accounts(live_server) -> dict[str, Account]:
    """Both guidelines imported as editors would publish them, and an employee in each city:
    芦屋市's logs in by e-mail, 須賀川市's (no mailbox) by municipality + 職員番号."""
    from django.core.cache import cache

    from courses.services import guidelines_import_files
    from people import services as people

    cache.clear()  # sessions, log-in rate limits and Wagtail's site root paths live in the cache
    _wagtail_seed_ensure()
    guidelines_import_files(paths=sorted(GUIDELINE_DIR.glob("*.json")))
    specs = [
        ("ashiya", "3100", "広報課", "000103", "芦田 健", "employee@ashiya.example.jp"),
        ("sukagawa", "311", "秘書広報課", "004006", "須賀 光", ""),
    ]
    result = {}
    for slug, dept_code, dept_name, number, name, email in specs:
        guideline = _guideline(slug)
        m = guideline["municipality"]
        municipality = people.municipality_get_or_create(code=m["code"], name=m["name"], slug=m["slug"])
        department = people.department_create(municipality=municipality, code=dept_code, name=dept_name)
        people.staff_create(
            municipality=municipality,
            staff_number=number,
            name=name,
            department=department,
            start_date=datetime.date(2020, 4, 1),
            email=email,
            password=PASSWORD,
        )
        result[slug] = Account(m["code"], m["name"], number, email, name, dept_name, PASSWORD, guideline)
    return result


def staff_account(
    accounts: dict[str, Account], *, department, staff_number: str, name: str, email: str, role: str
) -> Account:
    """Someone of `department` (of 芦屋市) with a role beyond employee, created as HR's tools do and
    logging in by e-mail with the tests' password."""
    from people import services as people

    people.staff_create(
        municipality=department.municipality,
        staff_number=staff_number,
        name=name,
        department=department,
        start_date=datetime.date(2015, 4, 1),
        email=email,
        role=role,
        password=PASSWORD,
    )
    a = accounts["ashiya"]
    return Account(a.code, a.municipality, staff_number, email, name, department.name, PASSWORD, a.guideline)


def hr_account(accounts: dict[str, Account]) -> Account:
    """HR of 芦屋市: 人事 太郎 (000900) in a new 人事課 (2100)."""
    from people import services as people
    from people.models import Municipality

    ashiya = Municipality.objects.get(code=accounts["ashiya"].code)
    jinji = people.department_create(municipality=ashiya, code="2100", name="人事課")
    return staff_account(
        accounts, department=jinji, staff_number="000900", name="人事 太郎", email="jinji@ashiya.example.jp", role="hr"
    )


@pytest.fixture
def questions(accounts) -> dict[str, Account]:
    """`accounts`, with every question in fixtures/questions imported and published as editors
    would (the import validates them against the guidelines just imported)."""
    from quizzes.importing import questions_import_files

    created, _unchanged = questions_import_files(paths=sorted(QUESTION_DIR.glob("*.json")))
    assert created, f"no questions imported from {QUESTION_DIR}"
    return accounts
