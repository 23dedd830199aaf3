"""The approver's side of a question in moderation (issue 16): 芦屋市's approver sees 「承認」 and
「差し戻し」 as the question editor's main buttons, each opening the Japanese dialog before anything
happens and followed by a message saying what was decided; the dashboard's 承認待ち panel lists the
pages and questions awaiting their review, 芦屋市's only, with the same two decisions. An editor is
offered neither; 須賀川市's items never appear to 芦屋市's approver."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from quizzes.models import ScenarioQuestion
from tests.courses.test_workflow import _edit_data
from tests.factories import (
    ChapterPageFactory,
    clause,
)
from tests.helpers import response_text, visible_text
from tests.quizzes.test_admin import _edit_url, _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client, editorial_world, home):
    """The quiz admin's two cities (tests/quizzes/conftest.py) with a chapter of one clause each,
    and each city's editor's changed question and chapter waiting for approval."""
    a_chapter = ChapterPageFactory(
        parent=editorial_world["ga"], key="1", number="１", title="芦屋の章", body=[clause("1", "１", "元の本文です。")]
    )
    s_chapter = ChapterPageFactory(
        parent=editorial_world["gs"],
        key="1",
        number="１",
        title="須賀川の章",
        body=[clause("1", "１", "元の本文です。")],
    )
    world = {**editorial_world, "ashiya_chapter": a_chapter, "sukagawa_chapter": s_chapter}
    # Each city's editor submits a changed question and a changed chapter.
    for editor, question, chapter, prompt in (
        (world["editor"], world["ashiya_q"], a_chapter, "芦屋の改訂設問：どうしますか。"),
        (world["suka_editor"], world["sukagawa_q"], s_chapter, "須賀川の改訂設問：どうしますか。"),
    ):
        client.force_login(editor)
        response = client.post(_edit_url(question), _form(question, prompt=prompt) | {"action-submit": "1"})
        assert response.status_code == 302
        response = client.post(
            reverse("wagtailadmin_pages:edit", args=[chapter.pk]),
            _edit_data(client, chapter, body_text="編集者が直した本文です。", action="action-submit"),
        )
        assert response.status_code == 302
    client.logout()
    return world


def _footer(markup: str) -> str:
    return markup[markup.index("<footer") :]


def _main_buttons(markup: str) -> list[str]:
    """The footer's buttons before the dropdown's toggle: what is shown without opening it."""
    footer = _footer(markup)
    toggle = footer.find('data-w-dropdown-target="toggle"')
    return re.findall(r"<button\b.*?</button>", footer[: toggle if toggle >= 0 else len(footer)], re.S)


def _question(world, key="ashiya_q") -> ScenarioQuestion:
    return ScenarioQuestion.objects.get(pk=world[key].pk)


def test_the_approver_sees_approve_and_send_back_as_the_main_buttons_of_a_question_in_moderation(client, world):
    question = _question(world)
    task_state = question.current_workflow_task_state
    client.force_login(world["approver"])

    markup = client.get(_edit_url(question)).content.decode()

    buttons = _main_buttons(markup)
    assert len(buttons) == 2, buttons
    for button, (name, label) in zip(buttons, (("approve", "承認"), ("reject", "差し戻し")), strict=True):
        assert f'data-workflow-action-name="{name}"' in button
        assert visible_text(button).strip() == label
        dialog = reverse(
            "wagtailsnippets_quizzes_scenarioquestion:collect_workflow_action_data",
            args=[question.pk, name, task_state.pk],
        )
        assert f'data-workflow-action-modal-url="{dialog}"' in button
    # No approve anywhere in the footer that would act without the dialog.
    for button in re.findall(r"<button\b[^>]*data-workflow-action-name[^>]*>", _footer(markup)):
        assert "data-workflow-action-modal-url" in button, button


@pytest.mark.parametrize(("action", "heading"), [("approve", "承認"), ("reject", "差し戻し")])
def test_each_decision_asks_first_in_a_japanese_dialog_with_a_comment(client, world, action, heading):
    question = _question(world)
    client.force_login(world["approver"])
    markup = client.get(_edit_url(question)).content.decode()
    url = re.search(rf'data-workflow-action-name="{action}" data-workflow-action-modal-url="([^"]+)"', markup).group(1)

    dialog = response_text(client.get(url))

    assert heading in dialog
    assert 'name="comment"' in dialog
    assert _question(world).current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS  # nothing yet


def _decide(client, question, action: str, comment: str):
    data = _form(question, prompt=question.get_latest_revision_as_object().prompt) | {
        "action-workflow-action": "1",
        "workflow-action-name": action,
        "workflow-action-extra-data": json.dumps({"comment": comment}),
    }
    return client.post(_edit_url(question), data, follow=True)


def test_approving_in_the_editor_publishes_the_question_and_says_so(client, world):
    client.force_login(world["approver"])

    response = _decide(client, _question(world), "approve", "確認しました。")

    assert "を承認しました。編集者に通知しました。" in response_text(response)
    question = _question(world)
    assert question.current_workflow_state is None
    assert question.prompt == "芦屋の改訂設問：どうしますか。"


def test_sending_back_in_the_editor_asks_for_changes_and_says_so(client, world):
    client.force_login(world["approver"])

    response = _decide(client, _question(world), "reject", "選択肢を見直してください。")

    assert "を差し戻しました。編集者にコメントとともに通知しました。" in response_text(response)
    question = _question(world)
    assert question.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert question.prompt == "芦屋の設問：どう対応しますか。"


def test_an_editor_is_offered_neither_decision(client, world):
    client.force_login(world["editor"])

    markup = client.get(_edit_url(_question(world))).content.decode()

    assert "data-workflow-action-name" not in markup
    assert not any(
        visible_text(b).strip() in ("承認", "差し戻し") for b in re.findall(r"<button\b.*?</button>", markup, re.S)
    )


def test_ashiyas_approver_cannot_open_sukagawas_question_in_moderation(client, world):
    client.force_login(world["approver"])

    response = client.get(_edit_url(_question(world, "sukagawa_q")))

    assert response.status_code == 404
    assert "須賀川" not in response.content.decode()


def _panel(markup: str) -> str:
    """Wagtail's "awaiting your review" panel of the dashboard ('' when it is not shown)."""
    match = re.search(r'<section[^>]*id="awaiting-review-section".*?</section>', markup, re.S)
    return match.group(0) if match else ""


def test_the_dashboard_lists_the_approvers_own_pages_and_questions_awaiting_review(client, world):
    client.force_login(world["approver"])

    markup = client.get(reverse("wagtailadmin_home")).content.decode()
    panel = _panel(markup)

    assert panel, "no 承認待ち panel"
    text = visible_text(panel)
    assert "承認待ち" in text
    assert "芦屋の改訂設問" in text
    assert "芦屋の章" in text
    assert _edit_url(world["ashiya_q"]) in panel
    assert reverse("wagtailadmin_pages:edit", args=[world["ashiya_chapter"].pk]) in panel
    # 須賀川市's question and chapter, also in moderation, are nowhere on the page.
    assert "須賀川" not in visible_text(markup)
    assert _edit_url(world["sukagawa_q"]) not in markup


def test_the_dashboards_decisions_are_approve_and_send_back_each_with_the_dialog(client, world):
    client.force_login(world["approver"])

    panel = _panel(client.get(reverse("wagtailadmin_home")).content.decode())

    rows = re.findall(r"<tr>.*?</tr>", panel[panel.index("<tbody") :], re.S)
    assert len(rows) == 2, rows
    for row in rows:
        decisions = re.findall(r"<button data-workflow-action-url=\"[^\"]*\"([^>]*)>(.*?)</button>", row, re.S)
        assert [label.strip() for _attrs, label in decisions] == ["承認", "差し戻し"], decisions
        assert all("data-launch-modal" in attrs for attrs, _label in decisions)


def test_sukagawas_approver_sees_only_sukagawas_items_and_an_editor_no_panel(client, world):
    client.force_login(world["suka_approver"])
    panel = visible_text(_panel(client.get(reverse("wagtailadmin_home")).content.decode()))
    assert "須賀川の改訂設問" in panel and "須賀川の章" in panel
    assert "芦屋" not in panel

    client.force_login(world["editor"])
    assert not _panel(client.get(reverse("wagtailadmin_home")).content.decode())


def test_a_self_check_rule_in_moderation_gets_the_same_buttons_and_panel_row(client, world, ashiya):
    """Self-check rules share the questions' workflow mechanism (people/approval.py): same footer."""
    from selfcheck.models import SelfCheckRule
    from selfcheck.services import rules_seed

    rules_seed(municipality=ashiya)
    rule = SelfCheckRule.objects.filter(municipality=ashiya).order_by("pk").first()
    rule.save_revision(user=world["editor"])
    rule.get_workflow().start(rule, world["editor"])
    edit_url = reverse("wagtailsnippets_selfcheck_selfcheckrule:edit", args=[rule.pk])
    client.force_login(world["approver"])

    buttons = _main_buttons(client.get(edit_url).content.decode())
    panel = _panel(client.get(reverse("wagtailadmin_home")).content.decode())

    assert [visible_text(b).strip() for b in buttons] == ["承認", "差し戻し"], buttons
    assert edit_url in panel
    client.force_login(world["suka_approver"])
    assert edit_url not in _panel(client.get(reverse("wagtailadmin_home")).content.decode())
