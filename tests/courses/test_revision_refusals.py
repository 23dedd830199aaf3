"""The refusals of a revision (issue 14, decision 0037): a 施行日 in the past or before the previous
version's, and two editors submitting conflicting 軽微 / 実質 markings; each refused in Japanese
with nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Revision

from courses import versions
from courses.models import ChapterPage, GuidelineVersion

from .test_clause_identity import _edit, _ids, admin_client, chapter  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _field_errors(response, field: str) -> str:
    return " ".join(str(e) for e in response.context["form"].errors.get(field, []))


def test_an_effective_date_in_the_past_is_refused(admin_client, chapter):  # noqa: F811
    first, second = _ids(chapter)
    revisions = Revision.objects.count()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        publish=True,
        extra={"revision_effective_date": yesterday.isoformat()},
    )

    assert response.status_code == 200
    assert "施行日に過去の日付は指定できません。" in _field_errors(response, "revision_effective_date")
    assert Revision.objects.count() == revisions
    assert "改正した" not in str(ChapterPage.objects.get(pk=chapter.pk).body.raw_data)


def test_an_effective_date_before_the_previous_versions_is_refused(admin_client, chapter):  # noqa: F811
    guideline = chapter.get_parent().specific
    latest = versions.current(guideline)
    later = timezone.localdate() + datetime.timedelta(days=20)
    GuidelineVersion.objects.filter(pk=latest.pk).update(effective_date=later)
    first, second = _ids(chapter)
    count = GuidelineVersion.objects.count()

    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        publish=True,
        extra={"revision_effective_date": (later - datetime.timedelta(days=1)).isoformat()},
    )

    assert "より前にできません" in _field_errors(response, "revision_effective_date")
    assert GuidelineVersion.objects.count() == count


def test_the_editors_date_becomes_the_versions_effective_date(admin_client, chapter, monkeypatch):  # noqa: F811
    first, second = _ids(chapter)
    later = timezone.localdate() + datetime.timedelta(days=10)

    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        publish=True,
        substantive=("9-5",),
        extra={"revision_effective_date": later.isoformat()},
    )

    assert response.status_code == 302
    # Held back until the 施行日 (decision 0044): the version is recorded when the text goes live.
    assert not GuidelineVersion.objects.filter(guideline_id=chapter.get_parent().pk, number=2).exists()
    revision = Revision.page_revisions.get(object_id=str(chapter.pk), approved_go_live_at__isnull=False)
    moment = revision.approved_go_live_at + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    call_command("publish_scheduled")
    version = GuidelineVersion.objects.filter(guideline_id=chapter.get_parent().pk).order_by("-number").first()
    assert (version.effective_date, version.classifications) == (later, {"9-5": "substantive"})


def test_a_second_editor_submitting_a_conflicting_classification_is_refused(admin_client, chapter):  # noqa: F811
    from django.urls import reverse
    from wagtail.test.utils.form_data import querydict_from_html

    first, second = _ids(chapter)
    # Editor B opens the form now (loaded revision = the current latest).
    stale = querydict_from_html(
        admin_client.get(reverse("wagtailadmin_pages:edit", args=[chapter.pk])).content.decode(),
        form_id="page-edit-form",
    ).dict()
    # Editor A saves the change marked 実質.
    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        substantive=("9-5",),
    )
    assert response.status_code == 302
    revisions = Revision.objects.count()

    # Editor B submits from the older form, marking nothing (軽微).
    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        submit=True,
        extra={
            "loaded_revision_id": stale["loaded_revision_id"],
            "loaded_revision_created_at": stale["loaded_revision_created_at"],
        },
    )

    assert response.status_code == 200
    assert "ほかの編集者がこの章を異なる改正の区分" in _field_errors(response, "substantive_changes")
    assert Revision.objects.count() == revisions

    # The same marking from the older form is not a conflict.
    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        substantive=("9-5",),
        submit=True,
        extra={
            "loaded_revision_id": stale["loaded_revision_id"],
            "loaded_revision_created_at": stale["loaded_revision_created_at"],
        },
    )
    assert response.status_code == 302
