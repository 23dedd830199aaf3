"""An editor cannot give a clause a key another clause of the same guideline already has:
questions and completion records cite clauses by key."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, streamfield

from courses.models import ChapterPage
from tests.factories import ChapterPageFactory, GuidelinePageFactory, UserFactory, clause

pytestmark = pytest.mark.django_db


@pytest.fixture
def chapters(ashiya):
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-test")
    first = ChapterPageFactory(parent=guideline, key="1", body=[clause("1-1", "(1)", "第一章の本文です。")])
    second = ChapterPageFactory(parent=guideline, key="2", body=[clause("2-1", "(1)", "第二章の本文です。")])
    return first, second


def _post_clauses(client, page, clauses: list[tuple[str, str]]):
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = querydict_from_html(client.get(edit_url).content.decode(), form_id="page-edit-form").dict()
    data = {k: v for k, v in data.items() if not k.startswith("body-")}
    blocks = [
        ("clause", {"key": key, "number": "(1)", "heading": "", "body": body, "items": {"count": 0}})
        for key, body in clauses
    ]
    data.update(nested_form_data({"body": streamfield(blocks)}))
    return client.post(edit_url, data)


def _body_errors(response) -> str:
    """The errors the edit form shows on the clauses field (Wagtail renders StreamField errors
    through its JavaScript, so they are read from the form, not the markup)."""
    error = response.context["form"].errors["body"].as_data()[0]
    parts = [str(m) for m in getattr(error, "messages", [])]
    parts += [str(e) for e in getattr(error, "non_block_errors", [])]
    return " ".join(parts)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


def test_a_key_used_in_another_chapter_is_refused(admin_client, chapters):
    first, second = chapters
    response = _post_clauses(admin_client, second, [("1-1", "書き換えた本文です。")])

    assert response.status_code == 200
    assert "条項キー 1-1 は「" in _body_errors(response)
    assert ChapterPage.objects.get(pk=second.pk).get_latest_revision_as_object().body[0].value["key"] == "2-1"


def test_a_key_twice_in_one_chapter_is_refused(admin_client, chapters):
    _, second = chapters
    response = _post_clauses(admin_client, second, [("2-1", "一つ目。"), ("2-1", "二つ目。")])

    assert response.status_code == 200
    assert "条項キー「2-1」が重複しています。" in _body_errors(response)
    assert len(ChapterPage.objects.get(pk=second.pk).get_latest_revision_as_object().body) == 1


def test_new_keys_in_the_chapter_are_saved(admin_client, chapters):
    _, second = chapters
    response = _post_clauses(admin_client, second, [("2-1", "一つ目。"), ("2-2", "二つ目。")])

    assert response.status_code == 302
    saved = ChapterPage.objects.get(pk=second.pk).get_latest_revision_as_object()
    assert [block.value["key"] for block in saved.body] == ["2-1", "2-2"]
