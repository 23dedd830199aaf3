"""Each of the five roles of 芦屋市 walks the pages they live in (issue 16): the employee their
my page and a lesson, the 所属長 their department's page, HR the admin's dashboard and reports,
the editor and the approver the explorer, a chapter's editor and the question list. On every page
each visible string must be Japanese (checked against the translation catalogs, as
tests/e2e/test_admin_japanese.py does) and axe-core must find nothing."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.sns_training.admin_catalog import english_left, untranslated_on

from .conftest import hr_account, staff_account
from .helpers import axe_violations, log_in
from .test_admin_japanese import _shown_markup

# Names in the demo data (question IDs such as ashiya-5-6-2, named where a chapter's clauses are cited), the platforms the question editor offers, and the language switcher's
# 「表示言語 (Language)」, English on purpose for those who do not read Japanese.
DATA_WORDS = {"ashiya", "example", "jp", "Facebook", "Instagram", "LINE", "TikTok", "YouTube", "X", "Language"}


def _member(accounts, *, number: str, name: str, email: str, role: str = "employee", group: str | None = None):
    from courses.models import GuidelinePage
    from courses.services import editorial_setup
    from people.models import Department, StaffMember

    guideline = GuidelinePage.objects.get(municipality__code=accounts["ashiya"].code)
    department = Department.objects.get(municipality=guideline.municipality, code="3100")
    account = staff_account(accounts, department=department, staff_number=number, name=name, email=email, role=role)
    if group is not None:
        editors, approvers = editorial_setup(guideline=guideline)
        user = StaffMember.objects.get(staff_number=number, municipality=guideline.municipality).user
        user.groups.add(editors if group == "editors" else approvers)
    return account, guideline


def _cycle_open(guideline):
    from django.utils import timezone

    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
    from training.services import cycle_open

    today = timezone.localdate()
    start, end = fiscal_year_bounds(fiscal_year_of(today))
    cycle_open(
        guideline=guideline,
        fiscal_year=fiscal_year_of(today),
        opens_on=start,
        due_on=max(start, today - datetime.timedelta(days=3)),
        closes_on=end,
    )


def _walk(accounts, role: str) -> tuple[object, list[str]]:
    from courses.models import ChapterPage, GuidelinePage

    guideline = GuidelinePage.objects.get(municipality__code=accounts["ashiya"].code)
    chapter = ChapterPage.objects.child_of(guideline).live().get(key="5")
    if role == "employee":
        account = accounts["ashiya"]
        _cycle_open(guideline)
        return account, ["/mypage/", account.guideline_url, account.chapter_url("5")]
    if role == "head":
        account, _ = _member(
            accounts, number="000950", name="広報 課長", email="kacho2@ashiya.example.jp", role="department_head"
        )
        _cycle_open(guideline)
        return account, ["/mypage/", "/department/"]
    if role == "hr":
        _cycle_open(guideline)
        return hr_account(accounts), ["/admin/", "/admin/hr-reports/dashboard/", "/admin/training_cycles/"]
    group = "editors" if role == "editor" else "approvers"
    account, _ = _member(
        accounts,
        number=f"00096{len(role)}",
        name={"editor": "編集 花子", "approver": "承認 花子"}[role],
        email=f"{role}@ashiya.example.jp",
        group=group,
    )
    return account, [
        "/admin/",
        f"/admin/pages/{guideline.pk}/",
        f"/admin/pages/{chapter.pk}/edit/",
        "/admin/snippets/quizzes/scenarioquestion/",
    ]


@pytest.mark.parametrize("role", ["employee", "head", "hr", "editor", "approver"])
def test_each_role_walks_its_pages_in_japanese_without_axe_violations(page, questions, axe_js, settings, role):
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    account, urls = _walk(questions, role)
    log_in(page, account)
    problems: dict[str, object] = {}
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, (role, url, response and response.status)
        page.wait_for_load_state("networkidle")
        expect(page.locator("main, #main").first).to_be_visible()
        violations = axe_violations(page, axe_js)
        markup = _shown_markup(page)
        found = untranslated_on(markup) | english_left(markup, DATA_WORDS)
        if violations or found:
            problems[url] = {"axe": violations, "untranslated": sorted(found)}
    assert not problems, problems
