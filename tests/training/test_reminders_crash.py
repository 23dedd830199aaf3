"""Reminders after a crash (decision 0034): each is logged sent the moment the mail server accepts
it; what a dead run claimed and did not send is sent by the next run (the same task run again, or
any run once the claim is stale), and never by two runs. The real-process drill (SIGKILL, SMTP
server process) is tests/worker/test_worker_drills.py."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from tests.factories import TrainingCycleFactory
from training.models import Assignment, ReminderLog
from training.reminders import _manual_claim, reminders_deliver, reminders_send

from .conftest import DUE

pytestmark = pytest.mark.django_db

SENT_BEFORE_CRASH = 3


class Crash(BaseException):
    """What SIGKILL does to a run, as far as the database can tell: it stops between two mails."""


class CrashingBackend(EmailBackend):
    """The locmem outbox; the process 'dies' after accepting SENT_BEFORE_CRASH messages, and the
    test looks at what the log says about each message the outbox holds."""

    def send_messages(self, messages):
        if len(mail.outbox) >= SENT_BEFORE_CRASH:
            raise Crash
        return super().send_messages(messages)


@pytest.fixture
def cycle(guideline, people_ready):
    return TrainingCycleFactory(guideline=guideline, today=datetime.date(2026, 4, 1))


def test_each_accepted_mail_is_logged_sent_at_once_and_the_rest_are_sent_by_the_same_task_run_again(cycle, settings):
    settings.EMAIL_BACKEND = "tests.training.test_reminders_crash.CrashingBackend"
    token = uuid.uuid4()  # the task's id: the same when the worker runs the task again
    with pytest.raises(Crash):
        reminders_send(on=DUE, token=token)

    delivered = {m.to[0] for m in mail.outbox}
    stamped = set(ReminderLog.objects.filter(sent_at__isnull=False).values_list("recipient", flat=True))
    assert len(delivered) == SENT_BEFORE_CRASH and stamped == delivered  # none delivered is logged unsent
    assert ReminderLog.objects.filter(sent_at__isnull=True).count() == 7 - SENT_BEFORE_CRASH

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    result = reminders_send(on=DUE, token=token)

    assert result["reminders_sent"] == 7 - SENT_BEFORE_CRASH
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == 7 and len(set(recipients)) == 7  # all, none twice
    assert not ReminderLog.objects.filter(sent_at__isnull=True).exists()


def test_another_run_leaves_a_live_claim_alone_and_takes_over_a_stale_one(cycle, settings):
    settings.EMAIL_BACKEND = "tests.training.test_reminders_crash.CrashingBackend"
    settings.REMINDER_CLAIM_STALE_SECONDS = 120
    with pytest.raises(Crash):
        reminders_send(on=DUE, token=uuid.uuid4())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    # A daily run just after: the claims are fresh (their run may still be sending): nothing twice.
    assert reminders_send(on=DUE + datetime.timedelta(days=1))["reminders_sent"] == 0
    assert len(mail.outbox) == SENT_BEFORE_CRASH

    ReminderLog.objects.filter(sent_at__isnull=True).update(claimed_at=timezone.now() - datetime.timedelta(seconds=121))
    assert reminders_send(on=DUE + datetime.timedelta(days=1))["reminders_sent"] == 7 - SENT_BEFORE_CRASH
    assert len({m.to[0] for m in mail.outbox}) == len(mail.outbox) == 7


def test_rows_from_before_the_claim_time_was_kept_are_never_resent(cycle):
    """Written by the old release, which stamped after the whole batch: maybe delivered."""
    reminders_send(on=DUE)
    ReminderLog.objects.update(sent_at=None, claimed_at=None)
    mail.outbox.clear()

    assert reminders_send(on=DUE + datetime.timedelta(days=1))["reminders_sent"] == 0
    assert mail.outbox == []


def test_a_manual_reminder_whose_delivery_died_is_sent_by_the_next_daily_run(cycle, people_ready, settings):
    head = people_ready["koho_head"].user
    assignment = Assignment.objects.get(cycle=cycle, staff=people_ready["koho"])
    log_id = _manual_claim(assignment=assignment, user=head, on=DUE, token=uuid.uuid4())
    settings.REMINDER_CLAIM_STALE_SECONDS = 120
    # The delivery task never ran (its worker died for good): the claim goes stale.
    ReminderLog.objects.filter(pk=log_id).update(claimed_at=timezone.now() - datetime.timedelta(seconds=121))

    result = reminders_send(on=DUE)

    assert result["manual_sent"] == 1
    assert [m.to[0] for m in mail.outbox].count(people_ready["koho"].user.email) == 2  # 督促 + the day's reminder
    assert ReminderLog.objects.get(pk=log_id).sent_at is not None


def test_the_delivery_task_sends_the_claim_it_was_handed_once(cycle, people_ready):
    head = people_ready["koho_head"].user
    assignment = Assignment.objects.get(cycle=cycle, staff=people_ready["koho"])
    claim = uuid.uuid4()
    log_id = _manual_claim(assignment=assignment, user=head, on=DUE, token=claim)

    assert reminders_deliver(log_ids=[log_id], claim=str(claim), token=uuid.uuid4()) == 1
    assert reminders_deliver(log_ids=[log_id], claim=str(claim), token=uuid.uuid4()) == 0
    assert len(mail.outbox) == 1
