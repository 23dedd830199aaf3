"""New text held back until its 施行日 (issue 14, decision 0044): a chapter approved today with a
施行日 next month stays as it was for staff (lesson page, the guideline's current 第N版, the staff
新旧対照表) until 00:00 of that day in Japan, when `publish_scheduled` makes it live and records the
version with that 施行日."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision, WorkflowState

from courses import versions
from courses.models import JAPAN, ChapterPage, GuidelineVersion
from tests.helpers import response_text

from .test_clause_identity import _edit, _ids, admin_client, chapter  # noqa: F401 - fixtures
from .test_workflow import EDITED, ORIGINAL, _approve_url, _edit_data, _reader_sees, setup  # noqa: F401

pytestmark = pytest.mark.django_db


def _at(monkeypatch, moment: datetime.datetime) -> None:
    """The clock reads `moment` (publish_scheduled and the 施行日 read timezone.now)."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _staff_versions_page(client, user, guideline) -> str:
    client.force_login(user)
    response = client.get(reverse("courses:guideline_versions", args=[guideline.pk]))
    assert response.status_code == 200
    return response_text(response)


def test_an_approved_change_with_a_later_effective_date_goes_live_on_that_day(client, setup, monkeypatch):  # noqa: F811
    page, guideline, editor, approver, reader = (
        setup[k] for k in ("chapter", "guideline", "editor", "approver", "reader")
    )
    first = versions.current(guideline)
    effective = timezone.localdate() + datetime.timedelta(days=31)

    # The editor submits the change, marked 実質, with 施行日 next month; the approver approves.
    client.force_login(editor)
    data = _edit_data(client, page, body_text=EDITED, action="action-submit")
    data["revision_effective_date"] = effective.isoformat()
    data["substantive_changes"] = "1"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302, response_text(response)[:2000]
    state = ChapterPage.objects.get(pk=page.pk).current_workflow_state
    client.force_login(approver)
    response = client.post(_approve_url(page, state.current_task_state), {"comment": "確認しました"})
    assert response.status_code == 302
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED

    # Approved, and scheduled for 00:00 of the 施行日 in Japan; staff still read the old text.
    midnight = datetime.datetime.combine(effective, datetime.time.min, tzinfo=JAPAN)
    scheduled = Revision.page_revisions.get(object_id=str(page.pk), approved_go_live_at__isnull=False)
    assert scheduled.approved_go_live_at == midnight
    page_text = _reader_sees(client, reader, ChapterPage.objects.get(pk=page.pk))
    assert ORIGINAL in page_text and EDITED not in page_text
    assert versions.current(guideline) == first
    assert "第2版" not in _staff_versions_page(client, reader, guideline)

    # A minute before midnight: nothing changes yet.
    _at(monkeypatch, midnight - datetime.timedelta(minutes=1))
    call_command("publish_scheduled")
    assert EDITED not in _reader_sees(client, reader, ChapterPage.objects.get(pk=page.pk))
    assert versions.current(guideline) == first

    # The cron run of the 施行日 (every 5 minutes): the new text, 第2版 in force from that day.
    _at(monkeypatch, midnight + datetime.timedelta(minutes=3))
    call_command("publish_scheduled")
    page_text = _reader_sees(client, reader, ChapterPage.objects.get(pk=page.pk))
    assert EDITED in page_text and ORIGINAL not in page_text
    second = versions.current(guideline)
    assert (second.label, second.effective_date, second.classifications) == ("第2版", effective, {"1": "substantive"})
    assert "第2版" in _staff_versions_page(client, reader, guideline)


def test_a_change_with_no_later_effective_date_is_live_at_once(admin_client, chapter):  # noqa: F811
    first, second = _ids(chapter)

    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        publish=True,
        extra={"revision_effective_date": timezone.localdate().isoformat()},
    )

    assert response.status_code == 302
    assert "改正した第五項。" in [c["body"] for c in ChapterPage.objects.get(pk=chapter.pk).clauses()]
    latest = versions.current(chapter.get_parent().specific)
    assert (latest.number, latest.effective_date) == (2, timezone.localdate())


def test_a_scheduled_change_locks_the_chapter_until_its_day(admin_client, chapter):  # noqa: F811
    first, second = _ids(chapter)
    later = timezone.localdate() + datetime.timedelta(days=20)
    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文です。")],
        publish=True,
        extra={"revision_effective_date": later.isoformat()},
    )
    assert response.status_code == 302
    count = GuidelineVersion.objects.count()
    revisions = Revision.objects.count()

    # A quick fix published today, built on the scheduled change, would publish it early too:
    # Wagtail's scheduled-publishing lock refuses it until the schedule is cancelled.
    response = _edit(
        admin_client,
        chapter,
        [(first, "9-5", "改正した第五項。"), (second, "9-6", "第六項の本文を直しました。")],
        publish=True,
        extra={"revision_effective_date": ""},
    )

    assert response.status_code == 200
    assert "ページはロックされているため保存できませんでした。" in str(list(response.context["messages"])[0])
    assert Revision.objects.count() == revisions
    assert GuidelineVersion.objects.count() == count
    assert "改正した" not in str(ChapterPage.objects.get(pk=chapter.pk).body.raw_data)
