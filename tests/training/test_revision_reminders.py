"""Reminder mails of an open 改正点の確認 (issue 14, decision 0044): the day it is given, 7 days
before its due date, on it and weekly after, each naming the version, the due date and the review's
link; never twice on the same day; none once confirmed."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from quizzes import services as quiz_services
from tests.factories import QuestionFactory
from training.models import ReminderLog, RevisionReview
from training.services import reminders_send

from .test_revisions import _right_and_wrong, completed, cycle, revise  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

D = datetime.timedelta


def review_mails(address: str) -> list:
    return [m for m in mail.outbox if address in m.to and "改正点の確認" in m.subject]


@pytest.fixture
def version(cycle, chapters, completed, django_capture_on_commit_callbacks):  # noqa: F811
    return revise(
        chapters[0], "1-1", "LINEを含むSNSの定義です。", substantive=True, capture=django_capture_on_commit_callbacks
    )


def test_an_open_review_is_mentioned_on_its_days_and_never_twice_a_day(version, people_ready, settings):
    koho = people_ready["koho"]
    review = RevisionReview.objects.get(staff=koho)
    today = timezone.localdate()
    mail.outbox.clear()

    reminders_send(on=today)
    reminders_send(on=today)

    [message] = review_mails(koho.user.email)
    assert version.label in message.subject
    due = review.due_on
    assert f"確認の期限：{due.year}年{due.month}月{due.day}日" in message.body
    assert f"{version.label}（施行日" in message.body
    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("quizzes:revision_review", args=[review.pk])
    assert url in message.body
    # 広報係 三郎 has no e-mail address: no review mail for him; nobody else got two.
    addresses = [m.to[0] for m in mail.outbox if "改正点の確認" in m.subject]
    assert sorted(addresses) == sorted({koho.user.email, people_ready["kakari"].user.email})

    # Nothing new the next day; 7 days before the due date, one more; after missed days, one.
    mail.outbox.clear()
    reminders_send(on=today + D(days=1))
    assert review_mails(koho.user.email) == []
    reminders_send(on=due - D(days=7))
    reminders_send(on=due - D(days=7))
    assert len(review_mails(koho.user.email)) == 1
    mail.outbox.clear()
    reminders_send(on=due + D(days=9))  # the due day and the first weekly one were missed
    reminders_send(on=due + D(days=10))
    [late] = review_mails(koho.user.email)
    assert "期限を過ぎています" in late.subject and "期限を9日過ぎています" in late.body
    rows = ReminderLog.objects.filter(staff=koho, kind=ReminderLog.Kind.REVISION)
    assert sorted(rows.values_list("sent_on", flat=True)) == [today, due - D(days=7), due + D(days=9)]
    assert all(rows.values_list("sent_at", flat=True))


def test_no_mail_once_the_review_is_confirmed(version, cycle, people_ready):  # noqa: F811
    question = QuestionFactory(guideline=cycle.guideline, clause_key="1-1", covers_revision=True)
    right, _wrong = _right_and_wrong(question)
    koho = people_ready["koho"]
    review = RevisionReview.objects.get(staff=koho)
    quiz_services.revision_attest(
        user=koho.user,
        review_id=review.pk,
        answers={question.pk: right},
        version_shown=str(version.number),
        agreed=True,
    )
    mail.outbox.clear()

    reminders_send(on=timezone.localdate())
    reminders_send(on=review.due_on)

    assert review_mails(koho.user.email) == []
    assert len(review_mails(people_ready["kakari"].user.email)) == 2
