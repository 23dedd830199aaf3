"""The pages still work under the Content-Security-Policy (sns_training.security, decision 0017):
an employee reads a lesson and answers and submits a quiz, a 所属長 opens their department's page,
HR opens the reports, an editor opens the Wagtail page editor and the question (snippet) editor and
adds a choice, with not one CSP violation reported by Chromium and the policy on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import staff_account
from .helpers import log_in
from .test_department_head import department_head  # noqa: F401 - the fixture
from .test_hr_reports import _hr_and_records
from .test_quiz import SUBMIT, _start_quiz, _submit

WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watch:
    """Every CSP violation (the DOM event and Chromium's console line), every script error and
    every failed request, page by page, and the policy each document came with."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        self.policies: dict[str, str] = {}
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error {error}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        text = message.text
        # A 404 for /favicon.ico or the quiz's deliberate 400 are logged as "Failed to load resource".
        failed_load = text.startswith("Failed to load resource")
        if (message.type == "error" and not failed_load) or "Content Security Policy" in text or "policy" in text:
            self.problems.append(f"{self.page.url}: console {message.type}: {text}")

    def _response(self, response) -> None:
        if response.request.resource_type == "document":
            self.policies[response.url] = response.headers.get("content-security-policy", "")

    def check(self, where: str) -> None:
        """Read the violations the current document saw (before it is left)."""
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.problems.append(f"{where}: {violation}")


def _assert_clean(watch: Watch) -> None:
    assert watch.problems == [], "\n".join(watch.problems)
    assert watch.policies, "no document was loaded"
    unprotected = [url for url, policy in watch.policies.items() if "script-src 'self' 'nonce-" not in policy]
    assert unprotected == []


def test_employee_reads_a_lesson_and_submits_a_quiz_under_the_policy(page, questions):
    account = questions["ashiya"]
    watch = Watch(page)
    log_in(page, account)
    watch.check("my page")

    page.goto(account.chapter_url("1"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    watch.check("lesson")

    items = _start_quiz(page, account, "1")
    watch.check("quiz")
    page.get_by_role("button", name=SUBMIT).click()
    expect(page.get_by_role("alert")).to_contain_text("第1問に回答してください。")
    watch.check("quiz, nothing chosen")
    _submit(page, items)
    expect(page.locator(".result")).to_contain_text("この章は合格です。")
    watch.check("review")

    _assert_clean(watch)


def test_department_head_page_works_under_the_policy(page, accounts, department_head):  # noqa: F811
    watch = Watch(page)
    log_in(page, department_head)

    page.goto("/department/")
    expect(page.get_by_role("heading", level=1)).to_have_text("所属の受講状況")
    employee = accounts["ashiya"]
    page.locator("tr", has=page.get_by_role("rowheader", name=employee.name)).get_by_role(
        "button", name=f"{employee.name} さんに督促"
    ).click()
    expect(page.get_by_role("status")).to_have_text(f"{employee.name} さんに督促メールを送信しました。")
    watch.check("department page")

    _assert_clean(watch)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/hr-reports/dashboard/",
        "/admin/hr-reports/staff/",
        "/admin/hr-reports/departments/",
        "/admin/hr-reports/clauses/",
        "/admin/hr-reports/certificates/",
    ],
)
def test_hr_report_pages_work_under_the_policy(page, accounts, path):
    hr = _hr_and_records(accounts)
    watch = Watch(page)
    log_in(page, hr)

    response = page.goto(path)
    assert response.status == 200
    expect(page.locator("main, #main").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    watch.check(path)

    _assert_clean(watch)


@pytest.fixture
def editor(questions):
    """An editor of 芦屋市 with the whole admin (a platform admin's rights), logging in as staff do."""
    from people.models import Department, Municipality, User

    ashiya = Municipality.objects.get(code=questions["ashiya"].code)
    account = staff_account(
        questions,
        department=Department.objects.get(municipality=ashiya, code="3100"),
        staff_number="000950",
        name="編集 花子",
        email="henshu@ashiya.example.jp",
        role="employee",
    )
    User.objects.filter(email=account.email).update(is_superuser=True)
    return account


def test_the_wagtail_page_editor_works_under_the_policy(page, editor):
    from courses.models import ChapterPage

    chapter = ChapterPage.objects.filter(slug="chapter-1").first()
    watch = Watch(page)
    log_in(page, editor)

    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    expect(page.locator("#id_title")).to_have_value(chapter.title)
    page.wait_for_load_state("networkidle")
    watch.check("page editor")
    # Wagtail's schedule dialog holds date-time widgets (go-live, expiry) set up by inline scripts;
    # each set-up adds a picker to the page: none would appear if the policy blocked them.
    pickers = page.evaluate("document.querySelectorAll('.xdsoft_datetimepicker').length")
    assert pickers >= 2
    watch.check("page editor, date widgets")

    _assert_clean(watch)


def test_the_question_snippet_editor_works_under_the_policy(page, editor):
    from quizzes.models import ScenarioQuestion

    question = ScenarioQuestion.objects.filter(choices__isnull=False).distinct().first()
    choices = question.choices.count()
    watch = Watch(page)
    log_in(page, editor)

    page.goto(f"/admin/snippets/quizzes/scenarioquestion/edit/{question.pk}/")
    page.wait_for_load_state("networkidle")
    watch.check("snippet editor")
    forms = page.locator("#id_choices-FORMS > [data-inline-panel-child]")
    expect(forms).to_have_count(choices)
    if choices < 5:
        page.locator("#id_choices-ADD").click()  # InlinePanel, initialised by an inline script
        expect(forms).to_have_count(choices + 1)
    watch.check("snippet editor, choice added")

    _assert_clean(watch)
