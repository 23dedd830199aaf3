"""Editor workflow through the Wagtail admin: an 芦屋市 editor's change waits for an 芦屋市
approver; a 須賀川市 approver cannot approve it; once approved it is what staff read."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, streamfield

from courses.models import ChapterPage, GuidelinePage
from courses.services import editorial_setup
from tests.factories import ChapterPageFactory, DepartmentFactory, GuidelinePageFactory, StaffMemberFactory, clause
from tests.helpers import refused_as_not_for_staff, response_text

pytestmark = pytest.mark.django_db

ORIGINAL = "ソーシャルメディアを利用する際の元の本文です。"
EDITED = "ソーシャルメディアを利用する際の、編集者が直した本文です。"


@pytest.fixture
def setup(ashiya, sukagawa):
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    chapter = ChapterPageFactory(
        parent=guideline, key="1", number="１", title="策定の目的", body=[clause("1", "１", ORIGINAL, heading="目的")]
    )
    editors, approvers = editorial_setup(guideline=guideline)
    _suka_editors, suka_approvers = editorial_setup(
        guideline=GuidelinePageFactory(municipality=sukagawa, slug="sukagawa-test")
    )

    def member(municipality, group=None):
        staff = StaffMemberFactory(municipality=municipality, department=DepartmentFactory(municipality=municipality))
        if group is not None:
            staff.user.groups.add(group)
        return staff.user

    return {
        "chapter": chapter,
        "guideline": guideline,
        "editor": member(ashiya, editors),
        "approver": member(ashiya, approvers),
        "suka_approver": member(sukagawa, suka_approvers),
        "reader": member(ashiya),
    }


def _edit_data(client, page, *, body_text: str, action: str) -> dict:
    """What the admin edit form posts: its plain fields as rendered, the clause typed anew."""
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form").dict()
    data = {k: v for k, v in data.items() if not k.startswith("body-")}
    data.update(
        nested_form_data(
            {
                "body": streamfield(
                    [
                        (
                            "clause",
                            {"key": "1", "number": "１", "heading": "目的", "body": body_text, "items": {"count": 0}},
                        )
                    ]
                )
            }
        )
    )
    data[action] = "1"
    return data


def _reader_sees(client, user, page) -> str:
    client.force_login(user)
    response = client.get(page.url)
    assert response.status_code == 200
    return response_text(response)


def _approve_url(page, task_state) -> str:
    return reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])


def test_an_editors_change_goes_live_only_when_an_approver_of_the_same_city_approves(client, setup):
    chapter, editor, approver, suka_approver, reader = (
        setup[k] for k in ("chapter", "editor", "approver", "suka_approver", "reader")
    )

    # The editor submits the change for approval.
    client.force_login(editor)
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[chapter.pk]),
        _edit_data(client, chapter, body_text=EDITED, action="action-submit"),
    )
    assert response.status_code == 302, response_text(response)[:2000]
    chapter.refresh_from_db()
    state = chapter.current_workflow_state
    assert state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert EDITED in [c["body"] for c in chapter.get_latest_revision_as_object().clauses()]
    assert [c["body"] for c in chapter.clauses()] == [ORIGINAL]
    assert chapter.has_unpublished_changes
    page_text = _reader_sees(client, reader, chapter)
    assert ORIGINAL in page_text and EDITED not in page_text

    # 須賀川市's approver is offered nothing and cannot approve.
    task_state = state.current_task_state
    task = task_state.task.specific
    assert task.get_actions(chapter, suka_approver) == []
    client.force_login(suka_approver)
    response = client.post(_approve_url(chapter, task_state), {"comment": ""})
    assert response.status_code in (302, 403, 404)
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert EDITED not in _reader_sees(client, reader, ChapterPage.objects.get(pk=chapter.pk))

    # 芦屋市's approver approves; the change is what staff now read.
    assert "approve" in [name for name, _label, _modal in task.get_actions(chapter, approver)]
    client.force_login(approver)
    response = client.post(_approve_url(chapter, task_state), {"comment": "確認しました"})
    assert response.status_code == 302
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    chapter = ChapterPage.objects.get(pk=chapter.pk)
    assert [c["body"] for c in chapter.clauses()] == [EDITED]
    assert not chapter.has_unpublished_changes
    page_text = _reader_sees(client, reader, chapter)
    assert EDITED in page_text and ORIGINAL not in page_text


def test_an_editor_cannot_publish_directly(client, setup):
    chapter, editor, reader = setup["chapter"], setup["editor"], setup["reader"]
    client.force_login(editor)

    client.post(
        reverse("wagtailadmin_pages:edit", args=[chapter.pk]),
        _edit_data(client, chapter, body_text=EDITED, action="action-publish"),
    )

    chapter = ChapterPage.objects.get(pk=chapter.pk)
    assert [c["body"] for c in chapter.clauses()] == [ORIGINAL]
    assert EDITED not in _reader_sees(client, reader, chapter)


def test_a_sukagawa_approver_cannot_open_the_ashiya_chapter_in_the_admin(client, setup):
    chapter = setup["chapter"]
    client.force_login(setup["suka_approver"])

    for url in (
        reverse("wagtailadmin_pages:edit", args=[chapter.pk]),
        reverse("wagtailadmin_pages:history", args=[chapter.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert ORIGINAL not in response_text(response)


def test_the_editor_cannot_move_the_guideline_to_another_city(client, setup, sukagawa):
    guideline = setup["guideline"]
    client.force_login(setup["editor"])
    response = client.get(reverse("wagtailadmin_pages:edit", args=[guideline.pk]))
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form").dict()
    assert "municipality" not in data
    data.update({"municipality": str(sukagawa.pk), "version_label": "第2版", "action-submit": "1"})

    response = client.post(reverse("wagtailadmin_pages:edit", args=[guideline.pk]), data)

    assert response.status_code == 302, response_text(response)[:2000]
    draft = GuidelinePage.objects.get(pk=guideline.pk).get_latest_revision_as_object()
    assert draft.version_label == "第2版"
    assert draft.municipality.name == "芦屋市"


def test_the_approver_sees_the_comparison_of_the_draft_before_approving(client, setup):
    chapter = setup["chapter"]
    client.force_login(setup["editor"])
    edit_url = reverse("wagtailadmin_pages:edit", args=[chapter.pk])
    client.post(edit_url, _edit_data(client, chapter, body_text=EDITED, action="action-submit"))
    changes_url = reverse("courses_chapter_changes", args=[chapter.pk])
    assert changes_url in client.get(edit_url).content.decode()  # the 「新旧対照表」 button

    client.force_login(setup["approver"])
    response = client.get(changes_url)
    assert response.status_code == 200
    text = response_text(response)
    assert "改正後（この下書き）" in text and "改正前（公開中）" in text
    page = response.content.decode()
    assert '<mark class="diff diff--new">、編集者が直した</mark>' in page
    assert '利用する際の<mark class="diff diff--old">元の</mark>本文です。' in page

    client.force_login(setup["suka_approver"])
    assert client.get(changes_url).status_code == 404
    client.force_login(setup["reader"])  # no admin access at all: told what the admin is for
    response = client.get(changes_url)
    assert refused_as_not_for_staff(response) and "改正後" not in response.content.decode()
