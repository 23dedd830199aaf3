"""Scenario questions in the Wagtail admin: listed and editable by their own municipality's
editors only; an editor's change is a draft until an approver publishes it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from quizzes.models import ScenarioQuestion

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/snippets/quizzes/scenarioquestion/"


@pytest.fixture
def world(editorial_world):
    return editorial_world


def _edit_url(question, action="edit"):
    return reverse(f"wagtailsnippets_quizzes_scenarioquestion:{action}", args=[question.pk])


def _form(question, *, prompt, correct=(0,), **fields):
    choices = list(question.choices.all())
    return (
        nested_form_data(
            {
                "guideline": question.guideline_id,
                "clause_key": question.clause_key,
                "also_cites": "",
                "audience": "all",
                "difficulty": 2,
                "external_id": question.external_id,
                "kind": question.kind,
                "situation": question.situation,
                "prompt": prompt,
                "explanation": question.explanation,
                "choices": inline_formset(
                    [
                        {"id": c.pk, "text": c.text, "is_correct": i in correct, "feedback": c.feedback, "ORDER": i}
                        for i, c in enumerate(choices)
                    ],
                    initial=len(choices),
                    min=3,
                    max=5,
                ),
            }
        )
        | fields
    )  # after the nesting: a list (platforms) is posted as repeated values


def test_the_listing_shows_only_the_editors_municipality(client, world):
    client.force_login(world["editor"])
    page = client.get(LIST_URL).content.decode()
    assert "芦屋の設問" in page
    assert "須賀川の設問" not in page


@pytest.mark.parametrize("action", ["edit", "delete", "history", "usage"])
def test_another_municipalitys_question_answers_404(client, world, action):
    client.force_login(world["editor"])
    response = client.get(_edit_url(world["sukagawa_q"], action))
    assert response.status_code == 404
    assert "須賀川の設問" not in response.content.decode()


def test_a_post_to_another_municipalitys_question_changes_nothing(client, world):
    client.force_login(world["editor"])
    question = world["sukagawa_q"]
    response = client.post(_edit_url(question), _form(question, prompt="乗っ取り"))
    assert response.status_code == 404
    assert ScenarioQuestion.objects.get(pk=question.pk).get_latest_revision_as_object().prompt != "乗っ取り"


def test_an_editors_change_is_a_draft_until_an_approver_publishes_it(client, world):
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    response = client.post(_edit_url(question), _form(question, prompt="改訂した設問：どうしますか。"))
    assert response.status_code == 302

    question.refresh_from_db()
    assert question.prompt == "芦屋の設問：どう対応しますか。"  # live text unchanged
    assert question.has_unpublished_changes

    client.force_login(world["approver"])
    data = _form(question, prompt="改訂した設問：どうしますか。") | {"action-publish": "action-publish"}
    response = client.post(_edit_url(question), data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.prompt == "改訂した設問：どうしますか。"
    assert question.live_revision_id is not None


def test_two_correct_answers_on_a_single_choice_question_are_refused(client, world):
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    response = client.post(_edit_url(question), _form(question, prompt="二つ正解", correct=(0, 1)))
    assert response.status_code == 200
    assert "正解はちょうど1つにしてください。" in response.content.decode()
    assert question.revisions.count() == 1


def test_a_clause_key_outside_the_guideline_is_refused(client, world):
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    data = _form(question, prompt="別の条項") | {"clause_key": "99-1"}
    response = client.post(_edit_url(question), data)
    assert response.status_code == 200
    assert "条項キー「99-1」はありません" in response.content.decode()


def test_a_question_cannot_be_added_to_another_municipalitys_guideline(client, world):
    client.force_login(world["editor"])
    question = world["ashiya_q"]
    data = _form(question, prompt="他市の設問を追加") | {
        "guideline": world["gs"].pk,
        "clause_key": "4-1",
        "external_id": "new-q",
    }
    for key in [k for k in data if k.startswith("choices-") and k.endswith("-id")]:
        data[key] = ""
    response = client.post(reverse("wagtailsnippets_quizzes_scenarioquestion:add"), data)
    assert response.status_code == 200
    assert not ScenarioQuestion.objects.filter(external_id="new-q").exists()


def _workflow_action_url(question, task_state, action="approve"):
    return reverse(
        "wagtailsnippets_quizzes_scenarioquestion:workflow_action", args=[question.pk, action, task_state.pk]
    )


def test_an_editors_submitted_change_goes_live_when_an_approver_of_the_same_city_approves(client, world):
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    mail.outbox.clear()

    data = _form(question, prompt="承認待ちの設問：どうしますか。") | {"action-submit": "action-submit"}
    response = client.post(_edit_url(question), data)

    assert response.status_code == 302
    question = ScenarioQuestion.objects.get(pk=question.pk)
    state = question.current_workflow_state
    assert state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert question.prompt == "芦屋の設問：どう対応しますか。"  # staff still get the live text
    # Only 芦屋市's approver is told; 須賀川市's approver hears nothing of 芦屋市's question.
    told = {address for message in mail.outbox for address in message.to}
    assert world["approver"].email in told
    assert world["suka_approver"].email not in told

    # 須賀川市's approver is offered nothing, finds nothing to review, and cannot approve.
    task_state = state.current_task_state
    task = task_state.task.specific
    assert task.get_actions(question, world["suka_approver"]) == []
    assert not TaskState.objects.reviewable_by(world["suka_approver"]).exists()
    client.force_login(world["suka_approver"])
    response = client.post(_workflow_action_url(question, task_state), {"comment": ""})
    assert response.status_code == 404
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS

    # 芦屋市's approver has it waiting for review and approves it; it is live.
    assert list(TaskState.objects.reviewable_by(world["approver"])) == [task_state]
    client.force_login(world["approver"])
    response = client.post(_workflow_action_url(question, task_state), {"comment": "確認しました"})
    assert response.status_code in (200, 302)
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    question = ScenarioQuestion.objects.get(pk=question.pk)
    assert question.prompt == "承認待ちの設問：どうしますか。"
    assert not question.has_unpublished_changes


def test_an_editor_cannot_publish_a_question_directly(client, world):
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    data = _form(question, prompt="勝手に公開") | {"action-publish": "action-publish"}
    client.post(_edit_url(question), data)
    assert ScenarioQuestion.objects.get(pk=question.pk).prompt == "芦屋の設問：どう対応しますか。"


def test_an_editor_can_not_approve_their_own_submission(client, world):
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    client.post(_edit_url(question), _form(question, prompt="自分で承認") | {"action-submit": "action-submit"})
    task_state = ScenarioQuestion.objects.get(pk=question.pk).current_workflow_state.current_task_state
    assert task_state.task.specific.get_actions(question, world["editor"]) == []
    client.post(_workflow_action_url(question, task_state), {"comment": ""})
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS


def test_an_editor_sets_the_item_bank_fields_and_sees_them_again(client, world):
    """Further clauses typed as words become the stored list; the 年度 range, audience, platforms
    and the rest are saved in the draft and shown on the edit screen again."""
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    data = _form(
        question,
        prompt="分類を付けた設問",
        also_cites="3-2、3-3",
        audience="official",
        difficulty=3,
        platforms=["LINE", "X"],
        scene="上下水道",
        employment_type="fiscal_year",
        first_year=2026,
        last_year=2028,
    )
    response = client.post(_edit_url(question), data)
    assert response.status_code == 302
    draft = ScenarioQuestion.objects.get(pk=question.pk).get_latest_revision_as_object()
    assert draft.also_cites == ["3-2", "3-3"]
    assert (draft.audience, draft.difficulty, draft.scene, draft.employment_type) == (
        "official",
        3,
        "上下水道",
        "fiscal_year",
    )
    assert sorted(draft.platforms) == ["LINE", "X"]
    assert (draft.first_year, draft.last_year) == (2026, 2028)
    page = client.get(_edit_url(question)).content.decode()
    assert 'value="3-2, 3-3"' in page
    assert "上下水道" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"also_cites": "3-2, 9-9"}, "条項キー「9-9」はありません"),
        ({"first_year": 2028, "last_year": 2026}, "出題終了年度は出題開始年度以降にしてください。"),
    ],
)
def test_bad_item_bank_fields_are_refused_with_a_message(client, world, fields, message):
    question = world["ashiya_q"]
    client.force_login(world["editor"])
    response = client.post(_edit_url(question), _form(question, prompt="誤り", **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert question.revisions.count() == 1
