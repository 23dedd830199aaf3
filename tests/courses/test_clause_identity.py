"""Clause identity (issue 14): a published clause key stays with its clause, a retired key is never
reused, and removing a clause that live questions cite needs the editor's choice to retire them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html

from courses.models import ChapterPage, ClauseKey
from quizzes.models import ScenarioQuestion
from tests.factories import ChapterPageFactory, GuidelinePageFactory, QuestionFactory, UserFactory, clause

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


@pytest.fixture
def chapter(ashiya):
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-identity")
    return ChapterPageFactory(
        parent=guideline,
        key="9",
        body=[clause("9-5", "(5)", "第五項の本文です。"), clause("9-6", "(6)", "第六項の本文です。")],
    )


def _edit(
    client,
    page,
    clauses: list[tuple[str | None, str, str]],
    *,
    retire: bool = False,
    publish: bool = False,
    substantive: tuple[str, ...] = (),
    submit: bool = False,
    extra: dict | None = None,
):
    """Post the edit form with `clauses` as (block id or None for a new block, key, body)."""
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = querydict_from_html(client.get(edit_url).content.decode(), form_id="page-edit-form").dict()
    data = {k: v for k, v in data.items() if not k.startswith("body-")}
    data["body-count"] = str(len(clauses))
    for i, (block_id, key, body) in enumerate(clauses):
        prefix = f"body-{i}"
        data.update(
            {
                f"{prefix}-type": "clause",
                f"{prefix}-id": block_id or "",
                f"{prefix}-order": str(i),
                f"{prefix}-deleted": "",
                f"{prefix}-value-key": key,
                f"{prefix}-value-number": f"({key.rsplit('-', 1)[-1]})",
                f"{prefix}-value-heading": "",
                f"{prefix}-value-body": body,
                f"{prefix}-value-items-count": "0",
            }
        )
    if retire:
        data["retire_citing_questions"] = "on"
    else:
        data.pop("retire_citing_questions", None)
    if publish:
        data["action-publish"] = "action-publish"
    if submit:
        data["action-submit"] = "action-submit"
    data.update(extra or {})
    data.pop("substantive_changes", None)
    post = list(data.items()) + [("substantive_changes", key) for key in substantive]
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for name, value in post:
        query.appendlist(name, value)
    return client.post(edit_url, query)


def _errors(response) -> str:
    error = response.context["form"].errors["body"].as_data()
    parts = []
    for item in error:
        parts += [str(m) for m in getattr(item, "messages", [])]
        parts += [str(e) for e in getattr(item, "non_block_errors", [])]
    return " ".join(parts)


def _ids(page) -> list[str]:
    return [block.id for block in ChapterPage.objects.get(pk=page.pk).body]


def test_publishing_registers_the_keys(chapter):
    rows = ClauseKey.objects.filter(guideline_id=chapter.get_parent().pk).order_by("key")
    assert [(row.key, row.chapter_id, row.retired_at) for row in rows] == [
        ("9-5", chapter.pk, None),
        ("9-6", chapter.pk, None),
    ]


def test_a_published_key_cannot_be_retyped(admin_client, chapter):
    first, second = _ids(chapter)
    response = _edit(
        admin_client, chapter, [(first, "9-5", "第五項の本文です。"), (second, "9-60", "第六項の本文です。")]
    )

    assert response.status_code == 200
    assert "公開済みの条項キー「9-6」は変更できません" in _errors(response)
    latest = ChapterPage.objects.get(pk=chapter.pk).get_latest_revision_as_object()
    assert [block.value["key"] for block in latest.body] == ["9-5", "9-6"]


def test_the_wording_of_a_published_clause_can_change(admin_client, chapter):
    first, second = _ids(chapter)
    response = _edit(
        admin_client, chapter, [(first, "9-5", "第五項の新しい本文です。"), (second, "9-6", "第六項の本文です。")]
    )

    assert response.status_code == 302
    latest = ChapterPage.objects.get(pk=chapter.pk).get_latest_revision_as_object()
    assert latest.body[0].value["body"] == "第五項の新しい本文です。"


def test_a_removed_clause_cited_by_live_questions_is_refused_naming_them(admin_client, chapter):
    guideline = chapter.get_parent().specific
    QuestionFactory(guideline=guideline, clause_key="9-6", external_id="ashiya-q-96")
    QuestionFactory(guideline=guideline, clause_key="9-5", also_cites=["9-6"], external_id="ashiya-q-95")
    QuestionFactory(guideline=guideline, clause_key="9-5", external_id="ashiya-q-95b")
    first, _second = _ids(chapter)

    response = _edit(admin_client, chapter, [(first, "9-5", "第五項の本文です。")], publish=True)

    assert response.status_code == 200
    errors = _errors(response)
    assert "ashiya-q-96（9-6）" in errors
    assert "ashiya-q-95（9-5）" in errors
    assert "ashiya-q-95b" not in errors
    assert ScenarioQuestion.objects.filter(live=True, guideline=guideline).count() == 3
    assert ClauseKey.objects.get(guideline_id=guideline.pk, key="9-6").retired_at is None


def test_retiring_the_citing_questions_with_the_clause(admin_client, chapter):
    guideline = chapter.get_parent().specific
    cited = QuestionFactory(guideline=guideline, clause_key="9-6", external_id="ashiya-q-96")
    other = QuestionFactory(guideline=guideline, clause_key="9-5", external_id="ashiya-q-95b")
    first, _second = _ids(chapter)

    response = _edit(admin_client, chapter, [(first, "9-5", "第五項の本文です。")], retire=True, publish=True)

    assert response.status_code == 302
    cited.refresh_from_db()
    other.refresh_from_db()
    assert (cited.live, other.live) == (False, True)
    assert ClauseKey.objects.get(guideline_id=guideline.pk, key="9-6").retired_at is not None
    assert ChapterPage.objects.get(pk=chapter.pk).clause_keys() == ["9-5"]


def test_a_retired_key_is_never_reused(admin_client, chapter):
    first, _second = _ids(chapter)
    assert _edit(admin_client, chapter, [(first, "9-5", "第五項の本文です。")], publish=True).status_code == 302

    response = _edit(
        admin_client, chapter, [(first, "9-5", "第五項の本文です。"), (None, "9-6", "別の条項に同じキーを付けます。")]
    )

    assert response.status_code == 200
    assert "条項キー 9-6 は廃止された条項のキーです" in _errors(response)


def test_a_new_clause_with_a_new_key_is_published(admin_client, chapter):
    first, second = _ids(chapter)
    response = _edit(
        admin_client,
        chapter,
        [
            (first, "9-5", "第五項の本文です。"),
            (second, "9-6", "第六項の本文です。"),
            (None, "9-7", "新しい第七項です。"),
        ],
        publish=True,
    )

    assert response.status_code == 302
    assert ClauseKey.objects.filter(guideline_id=chapter.get_parent().pk, key="9-7", retired_at=None).exists()


def test_the_editor_marks_a_change_substantive_when_publishing(admin_client, chapter):
    first, second = _ids(chapter)
    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "第五項の意味を変えた本文です。"), (second, "9-6", "第六項の本文です。")],
        publish=True,
        substantive=("9-5",),
    )

    assert response.status_code == 302
    guideline = chapter.get_parent().specific
    latest = guideline.versions.order_by("-number").first()
    assert latest.classifications == {"9-5": "substantive"}
