"""Both sides of the approval workflow in the page editor (issue 16): the editor's 「承認フローに提出」
is confirmed in Japanese; the approver of the chapter in moderation sees 「承認」 and 「差し戻し」 as
the footer's main buttons (not under the dropdown's arrow), each opens a Japanese dialog asking for
a comment before anything happens, and a Japanese message confirms the decision. axe-core finds
nothing on the editor or in either dialog."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import axe_violations, decision_buttons, log_in
from .test_role_walk import _member

ENGLISH = re.compile(r"[A-Za-z]{3,}")
# Names that are English on purpose: the demo's identifiers and the language switcher.
ALLOWED = {"ashiya", "example", "Language"}


def _english(text: str) -> set[str]:
    return {word for word in ENGLISH.findall(text) if word not in ALLOWED}


def _submit(page, chapter_pk: int) -> None:
    page.goto(f"/admin/pages/{chapter_pk}/edit/")
    page.wait_for_load_state("networkidle")
    page.locator("footer button[name='action-submit']").first.click()
    page.wait_for_load_state("networkidle")
    message = page.locator(".messages").first
    expect(message).to_contain_text("提出")
    assert not _english(message.inner_text()), message.inner_text()


def _decide(page, axe_js, chapter_pk: int, action: str, label: str, comment: str) -> str:
    page.goto(f"/admin/pages/{chapter_pk}/edit/")
    page.wait_for_load_state("networkidle")
    # Both decisions are visible buttons, without opening the dropdown.
    buttons = dict(zip(("approve", "reject"), decision_buttons(page), strict=True))
    assert axe_violations(page, axe_js) == []

    buttons[action].click()
    dialog = page.locator(".modal-dialog, [role='dialog']:visible").first
    expect(dialog).to_be_visible()
    comment_field = dialog.locator("textarea")
    expect(comment_field).to_be_visible()
    page.wait_for_timeout(400)
    assert axe_violations(page, axe_js) == []
    text = dialog.inner_text()
    assert label in text, text
    assert not _english(text), text
    comment_field.fill(comment)
    dialog.locator("button[type='submit'], input[type='submit']").first.click()
    page.wait_for_load_state("networkidle")
    messages = page.locator(".messages")
    expect(messages).to_be_visible()
    shown = messages.inner_text()
    assert not _english(shown), shown
    return shown


def test_editor_submits_approver_sends_back_then_approves_with_dialogs(page, questions, axe_js, settings):
    from courses.models import ChapterPage

    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    editor, guideline = _member(
        questions, number="000971", name="編集 三郎", email="editor3@ashiya.example.jp", group="editors"
    )
    approver, _ = _member(
        questions, number="000972", name="承認 三郎", email="approver3@ashiya.example.jp", group="approvers"
    )
    chapter = ChapterPage.objects.child_of(guideline).live().get(key="5")

    log_in(page, editor)
    _submit(page, chapter.pk)
    page.context.clear_cookies()

    log_in(page, approver)
    shown = _decide(page, axe_js, chapter.pk, "reject", "差し戻し", "見出しの表現を確認してください。")
    assert "を差し戻しました" in shown, shown
    chapter.refresh_from_db()
    assert chapter.current_workflow_state.status == "needs_changes"
    page.context.clear_cookies()

    log_in(page, editor)
    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    expect(page.locator("footer button[name='action-submit']").first).to_have_text("承認フローに再提出")
    _submit(page, chapter.pk)
    page.context.clear_cookies()

    log_in(page, approver)
    shown = _decide(page, axe_js, chapter.pk, "approve", "承認", "確認しました。")
    assert "を承認しました" in shown, shown
    chapter.refresh_from_db()
    assert chapter.current_workflow_state is None
