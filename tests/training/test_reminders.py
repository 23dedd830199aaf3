"""Reminders: each assignee hears 7 days before the due date, on it and weekly after; 14 days past
due their 所属長 gets one e-mail listing their people still open. Re-running the task, running it
twice at once, or catching up after a missed day never sends a reminder twice. Staff without
e-mail get none and are listed for their 所属長 instead."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from django_tasks import TaskResultStatus

from tests.factories import TrainingCycleFactory
from training import tasks
from training.models import ReminderLog
from training.services import reminder_due, reminders_send

from .conftest import DUE

pytestmark = pytest.mark.django_db

D = datetime.timedelta


@pytest.fixture
def cycle(guideline, people_ready):
    return TrainingCycleFactory(guideline=guideline, today=datetime.date(2026, 4, 1))


def run(day: datetime.date) -> dict:
    return reminders_send(on=day)


def sent_to(address_part: str) -> list:
    return [m for m in mail.outbox if any(address_part in to for to in m.to)]


@pytest.mark.parametrize(
    "on, expected",
    [
        (DUE - D(8), None),
        (DUE - D(7), ("before_due", DUE - D(7))),
        (DUE - D(1), ("before_due", DUE - D(7))),
        (DUE, ("due", DUE)),
        (DUE + D(6), ("due", DUE)),
        (DUE + D(7), ("overdue", DUE + D(7))),
        (DUE + D(20), ("overdue", DUE + D(14))),
    ],
)
def test_the_schedule_names_the_latest_reminder_due(on, expected):
    assert reminder_due(due_on=DUE, assigned_on=datetime.date(2026, 4, 1), on=on) == expected


def test_no_reminder_is_due_for_a_day_before_the_person_was_assigned():
    assert reminder_due(due_on=DUE, assigned_on=DUE - D(3), on=DUE - D(1)) is None
    assert reminder_due(due_on=DUE, assigned_on=DUE - D(3), on=DUE) == ("due", DUE)


def test_seven_days_before_on_the_day_and_weekly_after(cycle, people_ready):
    koho = people_ready["koho"]
    day = datetime.date(2026, 6, 1)
    while day <= datetime.date(2026, 7, 31):
        run(day)
        day += D(1)

    mine = sent_to(koho.user.email)
    assert [m.subject for m in mine] == [
        "【SNSガイドライン研修】受講期限まであと7日です（令和8年度 芦屋市テストガイドライン）",
        "【SNSガイドライン研修】本日が受講期限です（令和8年度 芦屋市テストガイドライン）",
        "【SNSガイドライン研修】受講期限を7日過ぎています（令和8年度 芦屋市テストガイドライン）",
        "【SNSガイドライン研修】受講期限を14日過ぎています（令和8年度 芦屋市テストガイドライン）",
        "【SNSガイドライン研修】受講期限を21日過ぎています（令和8年度 芦屋市テストガイドライン）",
        "【SNSガイドライン研修】受講期限を28日過ぎています（令和8年度 芦屋市テストガイドライン）",
    ]
    logged = list(
        ReminderLog.objects.filter(staff=koho)
        .exclude(kind="escalation")
        .order_by("sent_on")
        .values_list("kind", "sent_on", "recipient")
    )
    assert logged == [
        ("before_due", datetime.date(2026, 6, 23), koho.user.email),
        ("due", DUE, koho.user.email),
        ("overdue", datetime.date(2026, 7, 7), koho.user.email),
        ("overdue", datetime.date(2026, 7, 14), koho.user.email),
        ("overdue", datetime.date(2026, 7, 21), koho.user.email),
        ("overdue", datetime.date(2026, 7, 28), koho.user.email),
    ]
    assert all(ReminderLog.objects.filter(staff=koho).values_list("sent_at", flat=True))
    body = mine[0].body
    assert "広報 一郎 さん" in body
    assert "受講期限は 2026年6月30日 です。あと7日です。" in body
    assert "http://127.0.0.1:8000/ashiya-test/" in body


def test_running_again_the_same_day_sends_nothing_twice(cycle, people_ready):
    first = run(DUE - D(7))
    count = len(mail.outbox)
    logs = ReminderLog.objects.count()

    second = run(DUE - D(7))

    assert first["reminders_sent"] == count == 7  # 8 assignees, one without e-mail
    assert second.get("reminders_sent", 0) == 0
    assert len(mail.outbox) == count
    assert ReminderLog.objects.count() == logs


def test_a_missed_day_is_caught_up_once(cycle, people_ready):
    koho = people_ready["koho"]
    run(DUE - D(7))
    # No run on the due date itself (the worker was down); two days later:
    run(DUE + D(2))
    run(DUE + D(3))

    assert [m.subject for m in sent_to(koho.user.email)] == [
        "【SNSガイドライン研修】受講期限まであと7日です（令和8年度 芦屋市テストガイドライン）",
        "【SNSガイドライン研修】受講期限を2日過ぎています（令和8年度 芦屋市テストガイドライン）",
    ]
    assert ReminderLog.objects.get(staff=koho, kind="due").sent_on == DUE


def test_someone_who_completed_hears_nothing(guideline, chapters, people_ready):
    from django.utils import timezone

    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of

    from .conftest import attest, pass_all

    year = fiscal_year_of(timezone.localdate())
    start, end = fiscal_year_bounds(year)
    TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=start, due_on=end, closes_on=end)
    koho = people_ready["koho"]
    pass_all(koho, chapters)
    attest(koho, guideline)

    assert run(end)["reminders_sent"] == 6
    assert not sent_to(koho.user.email)


def test_staff_without_e_mail_get_no_reminder(cycle, people_ready):
    result = run(DUE)
    no_mail = people_ready["kakari_no_mail"]
    assert not ReminderLog.objects.filter(staff=no_mail).exclude(kind="escalation").exists()
    assert result["reminders_no_email"] == 1
    assert all(m.to for m in mail.outbox)


def test_fourteen_days_past_due_each_head_gets_one_list(cycle, people_ready):
    run(DUE + D(14))

    escalations = [m for m in mail.outbox if "14日以上過ぎた職員" in m.subject]
    assert sorted(m.to[0] for m in escalations) == sorted(
        [people_ready["koho_head"].user.email, people_ready["kikaku_head"].user.email]
    )
    koho_list = next(m for m in escalations if m.to == [people_ready["koho_head"].user.email])
    assert (
        koho_list.subject
        == "【SNSガイドライン研修】受講期限を14日以上過ぎた職員がいます（令和8年度 芦屋市テストガイドライン）"
    )
    for number, name in [("110002", "広報 一郎"), ("110003", "広報 会計"), ("111001", "広報係 二郎")]:
        assert f"★{number} {name}" in koho_list.body
    assert "★111002 広報係 三郎（広報係）期限 6月30日、14日超過 ［メールなし］" in koho_list.body
    assert "広報 課長" not in koho_list.body.split("\n", 2)[2]  # the head is not on their own list
    kikaku_list = next(m for m in escalations if m.to == [people_ready["kikaku_head"].user.email])
    assert "★110001 広報 課長" in kikaku_list.body
    assert "http://127.0.0.1:8000/department/" in koho_list.body

    run(DUE + D(14))
    run(DUE + D(15))
    run(DUE + D(21))
    assert len([m for m in mail.outbox if "14日以上過ぎた職員" in m.subject]) == 2


def test_a_late_newcomer_to_the_list_brings_the_whole_list_again(cycle, people_ready, ashiya, tree):
    from people.signals import roster_changed

    from .conftest import newcomer

    run(DUE + D(14))
    hire = newcomer(ashiya, tree["koho"], "120100", start_date=datetime.date(2026, 6, 1))
    roster_changed.send(sender=None, municipality=ashiya, on=datetime.date(2026, 6, 1), created=[hire.pk])
    # due 7月1日 (着任日 + 30): 14 days past on 7月15日.
    mail.outbox.clear()

    run(datetime.date(2026, 7, 15))

    escalations = [m for m in mail.outbox if "14日以上過ぎた職員" in m.subject]
    assert [m.to for m in escalations] == [[people_ready["koho_head"].user.email]]
    assert "★120100" in escalations[0].body and "・110002 広報 一郎" in escalations[0].body


class RefusingBackend(EmailBackend):
    """The locmem outbox, refusing addresses that contain "refuse" as an SMTP server might."""

    def send_messages(self, messages):
        for message in messages:
            if any("refuse" in to for to in message.to):
                raise OSError("550 mailbox unavailable")
        return super().send_messages(messages)


def test_a_refused_message_is_tried_again_on_the_next_run(cycle, people_ready, settings):
    from people.models import User

    koho = people_ready["koho"]
    User.objects.filter(pk=koho.user_id).update(email="refuse@example.jp")
    settings.EMAIL_BACKEND = "tests.training.test_reminders.RefusingBackend"

    result = run(DUE)

    assert result["reminders_failed"] == 1 and result["reminders_sent"] == 6
    assert not ReminderLog.objects.filter(staff=koho).exists()
    User.objects.filter(pk=koho.user_id).update(email="koho@example.jp")
    assert run(DUE + D(1))["reminders_sent"] == 1
    assert ReminderLog.objects.get(staff=koho).sent_on == DUE


def test_the_task_runs_through_django_tasks(cycle, people_ready):
    result = tasks.reminders_send.enqueue(on=(DUE - D(7)).isoformat())

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["reminders_sent"] == 7
    assert len(mail.outbox) == 7


def test_the_command_enqueues_the_days_run(cycle, people_ready, capsys):
    call_command("send_reminders", "--date", DUE.isoformat())
    assert "reminders_sent': 7" in capsys.readouterr().out
    call_command("send_reminders", "--date", DUE.isoformat())
    assert len(mail.outbox) == 7


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(ashiya, people_ready):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    from tests.factories import GuidelinePageFactory

    from .conftest import wagtail_seed_ensure

    wagtail_seed_ensure()  # an earlier transactional test's flush may have emptied Wagtail's seeds
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    TrainingCycleFactory(guideline=guideline, today=datetime.date(2026, 4, 1))
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            reminders_send(on=DUE)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(mail.outbox) == 7
    assert len({tuple(m.to) for m in mail.outbox}) == 7
    assert ReminderLog.objects.filter(kind="due").count() == 7
