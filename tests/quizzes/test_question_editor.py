"""The question editor and list for 芦屋市's editors (issue 16): every long text (situation,
prompt, choices, per-choice feedback, explanation) is a box of several lines; the list names each
question's clause by number and heading, and flags questions whose prompt another of the
guideline's questions repeats (spaces, punctuation and width aside)."""

from __future__ import annotations

import re

import pytest

from courses.services import editorial_setup
from quizzes.selectors import prompt_fingerprint
from tests.factories import (
    ChapterPageFactory,
    GuidelinePageFactory,
    QuestionFactory,
    clause,
    group_member,
)
from tests.helpers import response_text

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/snippets/quizzes/scenarioquestion/"


@pytest.fixture
def world(ashiya, sukagawa):
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-test")
    ChapterPageFactory(
        parent=guideline,
        key="5",
        number="５",
        title="遵守事項",
        body=[
            clause("5-1", "(1)", "本文一", heading="職員であることの自覚と責任を持つ"),
            clause("5-2", "(2)", "本文二", heading="関係法令等を遵守する"),
        ],
    )
    other = GuidelinePageFactory(municipality=sukagawa, slug="sukagawa-test")
    ChapterPageFactory(parent=other, key="5", clause_count=2)
    editors, _approvers = editorial_setup(guideline=guideline)
    return {"guideline": guideline, "other": other, "editor": group_member(ashiya, editors)}


def test_every_long_text_of_a_question_is_a_box_of_several_lines(client, world):
    question = QuestionFactory(guideline=world["guideline"], clause_key="5-1")
    client.force_login(world["editor"])

    markup = client.get(f"{LIST_URL}edit/{question.pk}/").content.decode()

    for name in ("situation", "prompt", "explanation", "choices-0-text", "choices-0-feedback", "choices-2-text"):
        assert re.search(rf'<textarea[^>]*name="{name}"', markup), name
    assert not re.search(r'<input[^>]*name="(prompt|choices-0-text)"', markup)


def test_the_list_names_the_clause_by_number_and_heading(client, world):
    QuestionFactory(guideline=world["guideline"], clause_key="5-2", prompt="法令に反する投稿にどう対応しますか。")
    client.force_login(world["editor"])

    text = response_text(client.get(LIST_URL))

    assert "５ (2) 関係法令等を遵守する（5-2）" in text


def test_the_list_flags_questions_asking_the_same(client, world):
    guideline = world["guideline"]
    QuestionFactory(guideline=guideline, clause_key="5-1", external_id="ashiya-q-a", prompt="この投稿をどうしますか。")
    QuestionFactory(
        guideline=guideline, clause_key="5-2", external_id="ashiya-q-b", prompt="この 投稿を、どうしますか？"
    )
    QuestionFactory(guideline=guideline, clause_key="5-2", external_id="ashiya-q-c", prompt="別のことを尋ねます。")
    # The same prompt in another city's guideline is not a duplicate, and is never named.
    QuestionFactory(
        guideline=world["other"], clause_key="5-1", external_id="suka-q-x", prompt="この投稿をどうしますか。"
    )
    client.force_login(world["editor"])

    markup = client.get(LIST_URL).content.decode()
    text = response_text(client.get(LIST_URL))

    assert text.count("重複の可能性") == 2
    assert "suka-q-x" not in markup
    flagged = [row for row in re.findall(r"<tr.*?</tr>", markup, re.S) if "重複の可能性" in row]
    assert any("ashiya-q-b" in row and "この投稿をどうしますか" in row for row in flagged)
    assert any("ashiya-q-a" in row and "この 投稿を、どうしますか" in row for row in flagged)
    assert not any("別のことを尋ねます" in row for row in flagged)


def test_a_fingerprint_ignores_spaces_punctuation_and_width():
    assert prompt_fingerprint("この 投稿を、どうしますか？") == prompt_fingerprint("この投稿をどうしますか。")
    assert prompt_fingerprint("ＳＮＳに書く") == prompt_fingerprint("SNSに書く")
    assert prompt_fingerprint("投稿しますか") != prompt_fingerprint("投稿しませんか")


def test_the_editors_main_button_submits_to_the_workflow(client, world):
    """The footer's first button (the one not under the dropdown) is 「承認フローに提出」; publishing
    is not offered to an editor."""
    question = QuestionFactory(guideline=world["guideline"], clause_key="5-1")
    client.force_login(world["editor"])

    markup = client.get(f"{LIST_URL}edit/{question.pk}/").content.decode()

    footer = markup[markup.index("<footer") :]
    first_button = re.search(r"<button[^>]*>(.*?)</button>", footer, re.S)
    assert first_button and 'name="action-submit"' in first_button.group(0), footer[:2000]
    assert "承認フローに提出" in first_button.group(1)
    assert 'name="action-publish"' not in markup


def test_the_question_editor_has_a_level_one_heading_naming_the_question(client, world):
    """Screen readers' page heading (Wagtail's snippet editor had none, axe page-has-heading-one)."""
    question = QuestionFactory(guideline=world["guideline"], clause_key="5-1", prompt="見出しのある設問ですか。")
    client.force_login(world["editor"])

    markup = client.get(f"{LIST_URL}edit/{question.pk}/").content.decode()

    headings = re.findall(r"<h1\b[^>]*>(.*?)</h1>", markup, re.S)
    assert len(headings) == 1 and "見出しのある設問ですか。" in headings[0], headings
