"""Nobody falls through (decision 0032): overdue people with no 所属長 above them are listed for HR
and HR gets their escalation; a 所属長 reminds everyone still open in one action (still once per
person per day), filters and sorts the list, prints the people without e-mail and sees each
person's training status on the staff detail. Anyone else gets 404."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from tests.factories import TrainingCycleFactory
from tests.helpers import squeeze, visible_text
from training import selectors, services
from training.models import Assignment, ReminderLog

from .conftest import DUE, person, this_year_dates

pytestmark = pytest.mark.django_db

D = datetime.timedelta
PAGE = "/department/"


@pytest.fixture
def april_cycle(guideline, people_ready):
    return TrainingCycleFactory(guideline=guideline, today=datetime.date(2026, 4, 1))


@pytest.fixture
def cycle(guideline, chapters, people_ready):
    """Running today, due ten days ago (on 1 April: today)."""
    year, opens, due, closes = this_year_dates()
    return TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=opens, due_on=due, closes_on=closes)


@pytest.fixture
def s_cycle(s_guideline, people_ready):
    year, opens, due, closes = this_year_dates()
    return TrainingCycleFactory(guideline=s_guideline, fiscal_year=year, opens_on=opens, due_on=due, closes_on=closes)


@pytest.fixture
def head_client(client, people_ready):
    client.force_login(people_ready["koho_head"].user)
    return client


def overdue_everyone(cycle) -> None:
    Assignment.objects.filter(cycle=cycle).update(due_on=timezone.localdate() - D(3))


def shown_rows(page: str) -> list[str]:
    return re.findall(r'<tr id="staff-(\d+)">', page)


def messages_text(response) -> str:
    found = re.search(r'<div class="messages"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    return squeeze(visible_text(found.group(1))) if found else ""


# --- HR hears of people without a 所属長 --------------------------------------------------------


class TestWithoutHead:
    def test_the_list_has_the_overdue_people_with_no_head_above_only(self, april_cycle, people_ready):
        rows = selectors.overdue_without_head(cycle=april_cycle, on=DUE + D(1))
        numbers = {row.staff.staff_number for row in rows}
        # 企画部長 (no head above their own post), 総務部 and 人事課 (no head in 総務部's tree).
        assert {"100001", "200002", "210001"} <= numbers
        # Everyone in 広報課/広報係 has the 広報課長 (or 企画部長) above: their escalation goes there.
        assert not numbers & {"110001", "110002", "110003", "111001", "111002", "500002"}
        assert selectors.overdue_without_head(cycle=april_cycle, on=DUE) == []  # not yet overdue

    def test_hr_gets_the_escalation_for_them_once(self, april_cycle, people_ready):
        result = services.reminders_send(on=DUE + D(14))

        hr_mail = [m for m in mail.outbox if m.to == [people_ready["hr"].user.email] and "所属長のいない" in m.subject]
        assert len(hr_mail) == 1
        message = hr_mail[0]
        assert message.subject == (
            "【SNSガイドライン研修】所属長のいない職員が受講期限を14日以上過ぎています（令和8年度 芦屋市テストガイドライン）"
        )
        assert "★200002 総務 四郎（総務部）期限 6月30日、14日超過" in message.body
        assert "★100001 企画 部長" in message.body
        assert "110002" not in message.body and "111002" not in message.body
        assert "/admin/hr-reports/dashboard/" in message.body
        assert result["escalations_no_head"] >= 3 and result["escalations_nobody"] == 0
        # The 所属長 still get theirs, and nobody is reported twice.
        koho_list = next(
            m for m in mail.outbox if m.to == [people_ready["koho_head"].user.email] and "14日以上" in m.subject
        )
        assert "200002" not in koho_list.body
        assert ReminderLog.objects.filter(kind="escalation", staff=people_ready["somu"]).count() == 1

        mail.outbox.clear()
        services.reminders_send(on=DUE + D(14))
        services.reminders_send(on=DUE + D(15))
        assert not [m for m in mail.outbox if "14日以上" in m.subject]

    def test_with_no_hr_mailbox_they_are_counted_not_lost(self, april_cycle, people_ready):
        from people.models import User

        User.objects.filter(pk=people_ready["hr"].user_id).update(email="")
        result = services.reminders_send(on=DUE + D(14))
        assert result["escalations_nobody"] >= 3
        assert not [m for m in mail.outbox if "所属長のいない" in m.subject]

    def test_hr_sees_them_on_the_dashboard(self, client, cycle, people_ready):
        overdue_everyone(cycle)
        client.force_login(people_ready["hr"].user)
        page = client.get(reverse("hr_reports:dashboard"), {"cycle": cycle.pk}).content.decode()
        section = page[page.index('id="without-head"') :]
        assert "所属長のいない期限超過者" in section
        for key in ("somu", "kikaku_head"):
            assert f'id="without-head-{people_ready[key].pk}"' in section
        for key in ("koho", "kakari", "kakari_no_mail"):
            assert f'id="without-head-{people_ready[key].pk}"' not in section

    def test_another_municipalitys_cycle_is_404_on_the_dashboard(self, client, cycle, s_cycle, people_ready):
        client.force_login(people_ready["hr"].user)
        assert client.get(reverse("hr_reports:dashboard"), {"cycle": s_cycle.pk}).status_code == 404


# --- Remind everyone still open ------------------------------------------------------------------


class TestRemindAll:
    def test_confirmation_then_one_mail_each_once_a_day(
        self, head_client, cycle, people_ready, django_capture_on_commit_callbacks
    ):
        overdue_everyone(cycle)
        url = reverse("training:remind_all", args=[cycle.pk])
        confirm = head_client.get(url)
        assert confirm.status_code == 200
        text = squeeze(visible_text(confirm.content.decode()))
        assert "広報一郎" in text and "広報係二郎" in text
        assert "メールアドレスのない1人には送れません" in text
        assert not ReminderLog.objects.exists()  # GET changes nothing

        # One person had their 督促 today already.
        head_client.post(reverse("training:remind", args=[cycle.pk, people_ready["koho"].pk]))
        mail.outbox.clear()

        with django_capture_on_commit_callbacks(execute=True):
            response = head_client.post(url, follow=True)
        assert "本日送信済み1人、メールなし1人" in messages_text(response)
        recipients = sorted(m.to[0] for m in mail.outbox)
        expected = sorted(people_ready[k].user.email for k in ("koho_head", "koho_fy", "kakari"))
        assert recipients == expected
        assert ReminderLog.objects.filter(kind="manual", staff=people_ready["koho"]).count() == 1
        assert ModelLogEntry.objects.filter(action="training.reminder_sent").count() == 4

        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = head_client.post(url, follow=True)
        assert "0人に督促メールを送信しました（本日送信済み4人、メールなし1人）" in messages_text(response)
        assert not mail.outbox

    def test_the_service_skips_the_finished_and_counts(self, cycle, people_ready):
        head = people_ready["koho_head"].user
        Assignment.objects.filter(cycle=cycle, staff=people_ready["koho_fy"]).update(exempted_at=timezone.now())
        assignments = list(
            Assignment.objects.filter(
                cycle=cycle, staff__department__path__startswith=people_ready["koho"].department.path
            )
            .select_related("staff__user")
            .order_by("pk")
        )
        counts = services.reminders_send_now_all(assignments=assignments, user=head)
        assert counts == {"sent": 3, "already": 0, "no_email": 1, "skipped": 1}

    @pytest.mark.parametrize("who", ["koho", "hr", "s_head"])
    def test_anyone_but_their_head_gets_404(self, client, cycle, people_ready, who):
        client.force_login(people_ready[who].user)
        url = reverse("training:remind_all", args=[cycle.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert not ReminderLog.objects.exists() and not mail.outbox

    def test_another_municipalitys_cycle_is_404(self, head_client, cycle, s_cycle):
        url = reverse("training:remind_all", args=[s_cycle.pk])
        assert head_client.get(url).status_code == 404
        assert head_client.post(url).status_code == 404

    def test_post_needs_csrf(self, cycle, people_ready):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(people_ready["koho_head"].user)
        assert client.post(reverse("training:remind_all", args=[cycle.pk])).status_code == 403
        assert not ReminderLog.objects.exists()


# --- Filter and sort ------------------------------------------------------------------------------


class TestFilterSort:
    def test_by_status(self, head_client, cycle, people_ready):
        Assignment.objects.filter(cycle=cycle).update(due_on=cycle.closes_on)
        Assignment.objects.filter(cycle=cycle, staff=people_ready["kakari"]).update(due_on=timezone.localdate() - D(1))
        page = head_client.get(PAGE, {"status": "overdue"}).content.decode()
        assert shown_rows(page) == [str(people_ready["kakari"].pk)]
        assert "5人中1人を表示" in squeeze(visible_text(page))

    def test_by_department_subtree(self, head_client, cycle, people_ready, tree):
        page = head_client.get(PAGE, {"department": tree["koho_kakari"].pk}).content.decode()
        assert set(shown_rows(page)) == {str(people_ready["kakari"].pk), str(people_ready["kakari_no_mail"].pk)}

    def test_a_department_out_of_reach_is_not_offered_nor_applied(self, head_client, cycle, people_ready, tree):
        page = head_client.get(PAGE, {"department": tree["somu"].pk}).content.decode()
        assert len(shown_rows(page)) == 5
        assert "総務部" not in page

    def test_by_name_and_sorted(self, head_client, cycle, people_ready):
        page = head_client.get(PAGE, {"name": "広報係"}).content.decode()
        assert set(shown_rows(page)) == {str(people_ready["kakari"].pk), str(people_ready["kakari_no_mail"].pk)}
        by_number = shown_rows(head_client.get(PAGE, {"sort": "number"}).content.decode())
        numbers = {
            str(people_ready[k].pk): people_ready[k].staff_number
            for k in ("koho_head", "koho", "koho_fy", "kakari", "kakari_no_mail")
        }
        assert [numbers[pk] for pk in by_number] == sorted(numbers.values())
        descending = shown_rows(head_client.get(PAGE, {"sort": "-number"}).content.decode())
        assert descending == list(reversed(by_number))
        assert head_client.get(PAGE, {"sort": "evil", "status": "x"}).status_code == 200


# --- The printable list and the staff detail -----------------------------------------------------


class TestWithoutEmailList:
    def test_the_heads_subtree_only(self, head_client, cycle, people_ready, ashiya, tree):
        other = person(ashiya, tree["jinji"], "210099", name="人事 メールなし", email="")
        page = head_client.get(reverse("training:without_email")).content.decode()
        assert f'id="no-email-{people_ready["kakari_no_mail"].pk}"' in page
        assert "広報係 三郎" in page and other.name not in page
        assert 'href="/static/training/print.css"' in page or "training/print.css" in page
        with open(finders.find("training/print.css"), encoding="utf-8") as css:
            assert "@media print" in css.read()
        # Completed people and people with e-mail are not on it.
        assert "広報 一郎" not in page

    @pytest.mark.parametrize("who", ["koho", "hr"])
    def test_anyone_but_a_head_gets_404(self, client, cycle, people_ready, who):
        client.force_login(people_ready[who].user)
        assert client.get(reverse("training:without_email")).status_code == 404

    def test_another_municipalitys_cycle_is_404(self, head_client, cycle, s_cycle):
        assert head_client.get(reverse("training:without_email"), {"cycle": s_cycle.pk}).status_code == 404


class TestStaffDetail:
    def test_a_head_sees_their_persons_training_status(self, head_client, cycle, people_ready):
        overdue_everyone(cycle)
        page = squeeze(visible_text(head_client.get(f"/staff/{people_ready['kakari'].pk}/").content.decode()))
        assert "研修の受講状況" in page and "期限超過" in page and "0/2章" in page

    def test_the_list_links_to_it(self, head_client, cycle, people_ready):
        page = head_client.get(PAGE).content.decode()
        assert f'href="/staff/{people_ready["koho"].pk}/"' in page

    def test_someone_outside_is_404(self, head_client, cycle, people_ready):
        assert head_client.get(f"/staff/{people_ready['somu'].pk}/").status_code == 404
        assert head_client.get(f"/staff/{people_ready['s_staff'].pk}/").status_code == 404
