"""Each of the five roles of 芦屋市 walks the pages they live in (issue 16): the employee their
my page and a lesson, the 所属長 their department's page, HR the admin's dashboard and reports,
the editor and the approver the explorer, a chapter's editor and the question list; the approver
also their dashboard's 承認待ち panel and a question in moderation, which they approve through the
footer's visible 「承認」 and its dialog. On every page each visible string must be Japanese (checked
against the translation catalogs, as tests/e2e/test_admin_japanese.py does) and axe-core must find
nothing."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.sns_training.admin_catalog import english_left, untranslated_on

from .conftest import hr_account, staff_account
from .helpers import _user_of, axe_violations, decision_buttons, log_in
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


REVISED_PROMPT = "（改訂案）この投稿を公開する前に確認することは何ですか。"


def _question_in_moderation(accounts, guideline):
    """A live question of 芦屋市 whose new prompt an editor (編集 四郎) has submitted for approval."""
    from quizzes.models import ScenarioQuestion

    editor, _ = _member(accounts, number="000979", name="編集 四郎", email="editor4@ashiya.example.jp", group="editors")
    user = _user_of(editor)
    question = ScenarioQuestion.objects.filter(guideline=guideline, live=True).order_by("pk").first()
    question.prompt = REVISED_PROMPT
    question.save_revision(user=user)
    question.get_workflow().start(question, user)
    return ScenarioQuestion.objects.get(pk=question.pk)


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
    urls = [
        "/admin/",
        f"/admin/pages/{guideline.pk}/",
        f"/admin/pages/{chapter.pk}/edit/",
        "/admin/snippets/quizzes/scenarioquestion/",
    ]
    if role == "approver":
        # The dashboard then shows its 承認待ち panel, and the question's editor the two decisions.
        question = _question_in_moderation(accounts, guideline)
        urls.append(f"/admin/snippets/quizzes/scenarioquestion/edit/{question.pk}/")
    return account, urls


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


def test_the_approver_approves_a_question_in_moderation_through_the_visible_button_and_its_dialog(
    page, questions, axe_js, settings
):
    """From the dashboard's 承認待ち panel to the question's editor, where 「承認」 and 「差し戻し」 are
    the footer's buttons without opening its menu; 「承認」 asks in a Japanese dialog with a comment,
    and a Japanese message says it was approved. axe-core finds nothing on any of these."""
    from courses.models import GuidelinePage
    from quizzes.models import ScenarioQuestion

    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    guideline = GuidelinePage.objects.get(municipality__code=questions["ashiya"].code)
    question = _question_in_moderation(questions, guideline)
    approver, _ = _member(
        questions, number="000978", name="承認 四郎", email="approver4@ashiya.example.jp", group="approvers"
    )
    log_in(page, approver)

    page.goto("/admin/")
    page.wait_for_load_state("networkidle")
    panel = page.locator("#awaiting-review-section")
    expect(panel.locator("[data-panel-heading-text]")).to_have_text("承認待ち")
    expect(panel.get_by_role("link", name=f"{question.clause_key}: {REVISED_PROMPT[:40]}")).to_be_visible()
    assert axe_violations(page, axe_js) == []

    panel.get_by_role("link", name=f"{question.clause_key}: {REVISED_PROMPT[:40]}").click()
    page.wait_for_load_state("networkidle")
    approve, _reject = decision_buttons(page)
    assert axe_violations(page, axe_js) == []

    approve.click()
    dialog = page.locator(".modal-dialog, [role='dialog']:visible").first
    expect(dialog).to_be_visible()
    comment = dialog.locator("textarea")
    expect(comment).to_be_visible()
    page.wait_for_timeout(400)
    assert axe_violations(page, axe_js) == []
    text = dialog.inner_text()
    assert "承認" in text and "コメント" in text, text
    assert not english_left(dialog.inner_html(), DATA_WORDS) and not untranslated_on(dialog.inner_html()), text
    assert ScenarioQuestion.objects.get(pk=question.pk).current_workflow_state is not None  # nothing yet
    comment.fill("確認しました。")
    dialog.locator("button[type='submit']").first.click()
    page.wait_for_load_state("networkidle")

    messages = page.locator(".messages")
    expect(messages).to_contain_text("を承認しました。編集者に通知しました。")
    assert axe_violations(page, axe_js) == []
    question = ScenarioQuestion.objects.get(pk=question.pk)
    assert question.current_workflow_state is None
    assert question.prompt == REVISED_PROMPT and question.live
