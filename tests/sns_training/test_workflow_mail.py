"""Workflow e-mails through the real admin workflow (submit, approve, reject, a comment) reach the
approver and the editor in Japanese, headed with the site's name, and link to the site's real
address (DJANGO_BASE_URL), never to localhost."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import PageSubscription

from courses.services import editorial_setup
from tests.courses.test_workflow import _edit_data
from tests.factories import ChapterPageFactory, DepartmentFactory, GuidelinePageFactory, StaffMemberFactory, clause

from .admin_catalog import ALLOWED_WORDS

pytestmark = pytest.mark.django_db

BASE_URL = "https://kenshu.city.ashiya.example.lg.jp"


@pytest.fixture
def world(settings, ashiya):
    # The deployment's address, set before the site exists, as DJANGO_BASE_URL is in production.
    settings.WAGTAILADMIN_BASE_URL = BASE_URL
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    chapter = ChapterPageFactory(
        parent=guideline, key="1", number="１", title="策定の目的", body=[clause("1", "１", "元の本文です。")]
    )
    editors, approvers = editorial_setup(guideline=guideline)

    def member(group):
        staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))
        staff.user.groups.add(group)
        return staff.user

    return {"chapter": chapter, "editor": member(editors), "approver": member(approvers)}


def _english_words(text: str) -> set[str]:
    """Latin words a Japanese reader would stumble on (URLs and names like CSV aside)."""
    text = re.sub(r"https?://\S+", "", text)
    return {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED_WORDS}


def _assert_japanese_mail(message, *, to, subject_has: str, body_has: list[str]):
    assert message.to == [to.email]
    assert subject_has in message.subject, message.subject
    assert not _english_words(message.subject), message.subject
    body = message.body
    for text in body_has:
        assert text in body, body
    assert not _english_words(body), (_english_words(body), body)
    links = re.findall(r"https?://\S+", body)
    assert links and all(link.startswith(BASE_URL + "/") for link in links), links
    assert "localhost" not in body and "127.0.0.1" not in body


def _submit(client, editor, chapter, text):
    client.force_login(editor)
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[chapter.pk]),
        _edit_data(client, chapter, body_text=text, action="action-submit"),
    )
    assert response.status_code == 302
    chapter.refresh_from_db()
    return chapter.current_workflow_state.current_task_state


def _act(client, approver, chapter, task_state, action, comment=""):
    client.force_login(approver)
    url = reverse("wagtailadmin_pages:workflow_action", args=[chapter.pk, action, task_state.pk])
    response = client.post(url, {"comment": comment})
    assert response.status_code in (200, 302), response.status_code


def test_submit_and_approve_mails_are_japanese_and_link_to_the_real_site(client, world):
    chapter, editor, approver = world["chapter"], world["editor"], world["approver"]

    mail.outbox.clear()
    task_state = _submit(client, editor, chapter, "編集者が直した本文です。")

    [submitted] = [m for m in mail.outbox if approver.email in m.to]
    _assert_japanese_mail(
        submitted,
        to=approver,
        subject_has="ページ「１ 策定の目的」がモデレーション段階",
        body_has=["承認依頼として提出されました", "ページをプレビュー", "このページを編集"],
    )
    assert f"{BASE_URL}/admin/pages/{chapter.pk}/edit/" in submitted.body

    mail.outbox.clear()
    _act(client, approver, chapter, task_state, "approve", comment="確認しました")

    approved = [m for m in mail.outbox if editor.email in m.to]
    assert approved, [m.subject for m in mail.outbox]
    for message in approved:
        _assert_japanese_mail(message, to=editor, subject_has="承認されました", body_has=["承認されました"])
    # The mail that the page is live names its public address on the real site.
    assert any(f"{BASE_URL}/ashiya-test/" in m.body for m in approved), [m.body for m in approved]


def test_reject_mail_is_japanese_with_the_approvers_comment(client, world):
    chapter, editor, approver = world["chapter"], world["editor"], world["approver"]
    task_state = _submit(client, editor, chapter, "直した本文です。")

    mail.outbox.clear()
    _act(client, approver, chapter, task_state, "reject", comment="表現を見直してください")

    rejected = [m for m in mail.outbox if editor.email in m.to]
    assert rejected, [m.subject for m in mail.outbox]
    for message in rejected:
        _assert_japanese_mail(message, to=editor, subject_has="差し戻されました", body_has=["差し戻されました"])
    assert any("表現を見直してください" in m.body for m in rejected)


def test_comment_mail_is_japanese(client, world):
    chapter, editor, approver = world["chapter"], world["editor"], world["approver"]
    PageSubscription.objects.create(page=chapter, user=approver, comment_notifications=True)
    client.force_login(editor)
    data = _edit_data(client, chapter, body_text="元の本文です。", action="action-submit")
    del data["action-submit"]
    data.update(
        {
            "comments-TOTAL_FORMS": "1",
            "comments-INITIAL_FORMS": "0",
            "comments-MIN_NUM_FORMS": "0",
            "comments-MAX_NUM_FORMS": "1000",
            "comments-0-id": "",
            "comments-0-contentpath": "title",
            "comments-0-text": "見出しの表現を確認してください",
            "comments-0-position": "",
            "comments-0-resolved": "",
            "comments-0-DELETE": "",
            "comments-0-replies-TOTAL_FORMS": "0",
            "comments-0-replies-INITIAL_FORMS": "0",
            "comments-0-replies-MIN_NUM_FORMS": "0",
            "comments-0-replies-MAX_NUM_FORMS": "1000",
        }
    )
    mail.outbox.clear()

    response = client.post(reverse("wagtailadmin_pages:edit", args=[chapter.pk]), data)

    assert response.status_code == 302
    [message] = [m for m in mail.outbox if approver.email in m.to]
    _assert_japanese_mail(
        message,
        to=approver,
        subject_has="のコメントを更新しました",
        body_has=["見出しの表現を確認してください", "さんが「１ 策定の目的」のコメントを更新しました"],
    )
