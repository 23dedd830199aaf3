"""What an editor of 芦屋市 meets in the page admin (issue 16): chapters listed in the guideline's
order with their numbers and parts; clause and chapter keys managed by the system, not typed; the
questions citing each clause named on the edit screen for the removal confirmation; and
「承認フローに提出」 as the footer's main action, with no publishing offered."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, streamfield

from courses.models import ChapterPage
from courses.services import editorial_setup
from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    QuestionFactory,
    StaffMemberFactory,
    clause,
)
from tests.helpers import response_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(ashiya):
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    chapters = [
        ChapterPageFactory(parent=guideline, key="4", number="４", part="【業務編】", title="遵守事項", slug="c4"),
        ChapterPageFactory(
            parent=guideline,
            key="5",
            number="５",
            part="【業務編】",
            title="禁止事項",
            slug="c5",
            body=[
                clause("5-1", "(1)", "秘密を発信しない。", heading="秘密情報等の発信禁止"),
                clause("5-2", "(2)", "社会通念にそぐわない投稿をしない。", heading="社会通念にそぐわない投稿の禁止"),
            ],
        ),
        ChapterPageFactory(
            parent=guideline, key="6", number="６", part="【プライベート編】", title="遵守事項", slug="c6"
        ),
    ]
    editors, approvers = editorial_setup(guideline=guideline)

    def member(group):
        staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))
        staff.user.groups.add(group)
        return staff.user

    return {
        "guideline": guideline,
        "chapters": chapters,
        "editor": member(editors),
        "approver": member(approvers),
    }


def _edit_form(client, page) -> dict:
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    return querydict_from_html(response.content.decode(), form_id="page-edit-form").dict()


def _post_body(client, page, clauses: list[dict], **extra):
    data = {k: v for k, v in _edit_form(client, page).items() if not k.startswith("body-")}
    data.update(nested_form_data({"body": streamfield([("clause", value) for value in clauses])}))
    data.update(extra)
    return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)


def _clause(key, number, body, *, heading="", items=()):
    return {
        "key": key,
        "number": number,
        "heading": heading,
        "body": body,
        "items": streamfield_items(items),
    }


def streamfield_items(items):
    data = {"count": len(items)}
    for i, (key, number, body) in enumerate(items):
        data[str(i)] = {"value": {"key": key, "number": number, "body": body}, "deleted": "", "order": i}
    return data


# 1. The explorer


def test_the_explorer_lists_chapters_in_the_guidelines_order_with_number_and_part(client, setup):
    first, second, third = setup["chapters"]
    # Edit the last chapter last: Wagtail's default order (latest edit first) would list it first.
    third.save_revision(user=setup["editor"])
    client.force_login(setup["editor"])

    response = client.get(reverse("wagtailadmin_explore", args=[setup["guideline"].pk]))

    assert response.status_code == 200
    text = response_text(response)
    shown = [
        text.index(label)
        for label in ("４ 【業務編】遵守事項", "５ 【業務編】禁止事項", "６ 【プライベート編】遵守事項")
    ]
    assert shown == sorted(shown), text[:3000]


def test_the_chapters_edit_header_names_it_with_number_and_part(client, setup):
    client.force_login(setup["editor"])
    chapter = setup["chapters"][2]

    response = client.get(reverse("wagtailadmin_pages:edit", args=[chapter.pk]))

    assert "６ 【プライベート編】遵守事項" in response_text(response)


# 2. Keys are the system's


def test_the_editor_is_not_given_key_fields_to_type(client, setup):
    client.force_login(setup["editor"])
    chapter = setup["chapters"][1]

    form = _edit_form(client, chapter)
    markup = client.get(reverse("wagtailadmin_pages:edit", args=[chapter.pk])).content.decode()

    # The chapter key is shown read-only, not a form field.
    assert "key" not in form
    # The clause blocks carry their key as a hidden field, in a wrapper drawn hidden.
    block = ChapterPage.body.field.stream_block.child_blocks["clause"]
    assert block.child_blocks["key"].field.widget.is_hidden
    assert block.child_blocks["items"].child_block.child_blocks["key"].field.widget.is_hidden
    assert "w-hidden" in markup


def test_a_new_clause_and_item_get_their_keys_from_their_numbers(client, setup):
    client.force_login(setup["editor"])
    chapter = setup["chapters"][1]

    response = _post_body(
        client,
        chapter,
        [
            _clause("5-1", "(1)", "秘密を発信しない。", heading="秘密情報等の発信禁止"),
            _clause("5-2", "(2)", "社会通念にそぐわない投稿をしない。", heading="社会通念にそぐわない投稿の禁止"),
            _clause("", "（３）", "新しい条項です。", heading="利用規約違反の禁止", items=[("", "ア", "細目です。")]),
        ],
        **{"action-save-draft": "1"},
    )

    assert response.status_code == 302, response_text(response)[:2000]
    draft = ChapterPage.objects.get(pk=chapter.pk).get_latest_revision_as_object()
    assert [c["key"] for c in draft.clauses()] == ["5-1", "5-2", "5-3", "5-3-ア"]


def test_a_new_clause_never_gets_a_key_another_clause_had(client, setup):
    """The number (2) would give 5-2, the key of a published clause that this edit removes: the
    key stays retired with its clause (on publish) and the new clause gets the next free one."""
    client.force_login(setup["approver"])
    chapter = setup["chapters"][1]

    response = _post_body(
        client,
        chapter,
        [_clause("5-1", "(1)", "秘密を発信しない。"), _clause("", "(2)", "書き直した別の条項です。")],
        **{"action-publish": "1"},
    )

    assert response.status_code == 302, response_text(response)[:2000]
    chapter = ChapterPage.objects.get(pk=chapter.pk)
    assert [c["key"] for c in chapter.clauses()] == ["5-1", "5-3"]


def test_a_posted_chapter_key_is_ignored(client, setup):
    client.force_login(setup["approver"])
    chapter = setup["chapters"][1]

    response = _post_body(
        client,
        chapter,
        [_clause("5-1", "(1)", "秘密を発信しない。"), _clause("5-2", "(2)", "社会通念にそぐわない投稿をしない。")],
        key="99",
        **{"action-publish": "1"},
    )

    assert response.status_code == 302
    assert ChapterPage.objects.get(pk=chapter.pk).key == "5"


# 3. What a clause removal would affect


def test_the_edit_screen_names_the_questions_citing_each_clause(client, setup):
    guideline = setup["guideline"]
    QuestionFactory(
        guideline=guideline, clause_key="5-2", external_id="ashiya-q-52", prompt="炎上した投稿にどう対応しますか。"
    )
    QuestionFactory(guideline=guideline, clause_key="5-1", also_cites=["5-2"], external_id="ashiya-q-51")
    QuestionFactory(guideline=guideline, clause_key="5-2", external_id="ashiya-q-draft", publish=False)
    client.force_login(setup["editor"])

    response = client.get(reverse("wagtailadmin_pages:edit", args=[setup["chapters"][1].pk]))

    markup = response.content.decode()
    data = json.loads(
        re.search(r'<script id="clause-citations" type="application/json">(.*?)</script>', markup, re.S)[1]
    )
    assert data["5-2"] == [
        "ashiya-q-51「" + data["5-2"][0].split("「", 1)[1],
        "ashiya-q-52「炎上した投稿にどう対応しますか。」",
    ]
    assert [q.split("「")[0] for q in data["5-1"]] == ["ashiya-q-51"]
    # Draft questions are not drawn: they are not named.
    assert "ashiya-q-draft" not in markup
    assert "(2) 社会通念にそぐわない投稿の禁止" in response_text(response)
    assert "courses/admin/clause_removal.js" in markup


# 4. The footer


def _footer_actions(markup: str) -> list[str]:
    """The footer's action names in the order shown: the main button first."""
    footer = markup[markup.index("<footer") :]
    return re.findall(r'name="(action-[a-z-]+)"', footer)


def test_submitting_to_the_workflow_is_the_editors_main_action(client, setup):
    client.force_login(setup["editor"])

    response = client.get(reverse("wagtailadmin_pages:edit", args=[setup["chapters"][0].pk]))

    markup = response.content.decode()
    actions = _footer_actions(markup)
    assert actions[0] == "action-submit", actions
    assert "action-publish" not in actions
    assert "承認フローに提出" in response_text(response)


def test_the_approver_still_publishes(client, setup):
    client.force_login(setup["approver"])

    response = client.get(reverse("wagtailadmin_pages:edit", args=[setup["chapters"][0].pk]))

    actions = _footer_actions(response.content.decode())
    assert "action-publish" in actions
    assert actions[0] != "action-submit", actions
