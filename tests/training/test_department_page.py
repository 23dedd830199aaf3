"""The 所属長's page: only their own department and the departments below it, each person's status
(未受講 / 受講中 / 修了 / 期限超過) with a progress bar, the completion rate and chart, the people
without e-mail, and the 督促 button (POST, CSRF, at most one per person per day). Anyone else, and
anyone else's staff, gets 404."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people.models import StaffMember, User
from quizzes.models import ClauseProgress, QuizAttempt
from tests.factories import TrainingCycleFactory, UserFactory
from tests.helpers import squeeze, visible_text
from training.models import Assignment, ReminderLog

from .conftest import attest, pass_all, this_year_dates

pytestmark = pytest.mark.django_db

PAGE = "/department/"


@pytest.fixture
def cycle(guideline, chapters, people_ready):
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


def remind_url(cycle, staff) -> str:
    return reverse("training:remind", args=[cycle.pk, staff.pk])


def row_text(page: str, staff) -> str:
    found = re.search(rf'<tr id="staff-{staff.pk}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {staff}"
    return squeeze(visible_text(found.group(1)))


def messages_text(response) -> str:
    found = re.search(r'<div class="messages"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    return squeeze(visible_text(found.group(1))) if found else ""


class TestScope:
    def test_a_head_sees_their_department_and_below_only(self, head_client, cycle, people_ready):
        page = head_client.get(PAGE).content.decode()
        shown = set(re.findall(r'<tr id="staff-(\d+)">', page))
        expected = {people_ready[k].pk for k in ("koho_head", "koho", "koho_fy", "kakari", "kakari_no_mail")}
        assert shown == {str(pk) for pk in expected}
        for other in ("somu", "hr", "kikaku_head", "s_staff"):
            assert people_ready[other].name not in page

    def test_a_head_of_a_parent_department_sees_the_whole_subtree(self, client, cycle, people_ready):
        client.force_login(people_ready["kikaku_head"].user)
        page = client.get(PAGE).content.decode()
        assert len(re.findall(r'<tr id="staff-', page)) == 6  # 企画部長 + the five of 広報課

    @pytest.mark.parametrize("role", ["koho", "hr"])
    def test_anyone_but_a_head_gets_404(self, client, cycle, people_ready, role):
        client.force_login(people_ready[role].user)
        assert client.get(PAGE).status_code == 404
        response = client.post(remind_url(cycle, people_ready["koho"]))
        assert response.status_code == 404
        assert not mail.outbox and not ReminderLog.objects.exists()

    def test_a_platform_admin_without_a_staff_record_gets_404(self, client, cycle):
        client.force_login(UserFactory(is_superuser=True))
        assert client.get(PAGE).status_code == 404

    def test_the_log_in_comes_first(self, client, cycle):
        response = client.get(PAGE)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    def test_another_municipalitys_cycle_is_404(self, head_client, cycle, s_cycle):
        assert head_client.get(PAGE, {"cycle": s_cycle.pk}).status_code == 404
        assert head_client.get(PAGE, {"cycle": "abc"}).status_code == 404
        assert head_client.get(PAGE, {"cycle": cycle.pk}).status_code == 200

    def test_the_header_links_the_page_for_heads_only(self, client, cycle, people_ready):
        client.force_login(people_ready["koho_head"].user)
        assert f'href="{PAGE}"' in client.get("/mypage/").content.decode()
        client.force_login(people_ready["koho"].user)
        assert f'href="{PAGE}"' not in client.get("/mypage/").content.decode()


class TestContent:
    def test_status_progress_and_rate(self, head_client, guideline, chapters, cycle, people_ready):
        koho, koho_fy, kakari = people_ready["koho"], people_ready["koho_fy"], people_ready["kakari"]
        pass_all(koho, chapters)
        attest(koho, guideline)
        QuizAttempt.objects.create(staff=koho_fy, guideline=guideline, chapter=chapters[0])
        ClauseProgress.objects.bulk_create(
            [
                ClauseProgress(staff=kakari, guideline=guideline, clause_key=key, state="mastered")
                for key in chapters[0].clause_keys()
            ]
        )
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        Assignment.objects.filter(cycle=cycle, staff=kakari).update(due_on=yesterday)
        Assignment.objects.filter(cycle=cycle).exclude(staff=kakari).update(due_on=cycle.closes_on)

        page = head_client.get(PAGE).content.decode()

        assert re.search(r"広報課修了\d+%2/2章", row_text(page, koho))
        assert re.search(r"広報課受講中\d+%0/2章", row_text(page, koho_fy))
        assert re.search(r"広報係期限超過\d+%1/2章", row_text(page, kakari))
        assert re.search(r"広報係未受講\d+%0/2章", row_text(page, people_ready["kakari_no_mail"]))
        text = squeeze(visible_text(page))
        assert "修了率20%（5人中1人）" in text
        assert '<progress id="completion-rate" max="5" value="1">' in page
        assert f"{koho.name} さんの進捗" in page

    def test_the_chart_is_drawn_with_a_table_beside_it(self, head_client, cycle):
        page = head_client.get(PAGE).content.decode()
        assert re.search(r'<svg viewBox="0 0 480 260" role="img" aria-labelledby="chart-title chart-desc"', page)
        assert "<polyline" in page
        assert "修了者数（累計）の推移" in page
        first_row = re.search(
            r"<tbody>\s*<tr><td>(.*?)</td><td>(.*?)</td>", page.split('<caption id="chart-table-caption">')[1], re.S
        )
        assert first_row.group(1) == f"{cycle.opens_on.month}月{cycle.opens_on.day}日"
        assert first_row.group(2) == "0人"
        table = page.split('<caption id="chart-table-caption">')[1].split("</table>")[0]
        assert 1 <= table.count("<tr><td>") <= 13  # weekly, or every few weeks: about a dozen rows

    def test_people_without_e_mail_are_listed(self, head_client, cycle, people_ready):
        page = head_client.get(PAGE).content.decode()
        section = page.split('id="no-email-heading"')[1]
        assert "111002 広報係 三郎" in section
        assert "広報 一郎" not in section
        assert "メールなし" in row_text(page, people_ready["kakari_no_mail"])

    def test_no_cycle_yet(self, head_client, people_ready):
        assert "研修サイクルはまだありません" in head_client.get(PAGE).content.decode()


class TestRemind:
    def test_the_button_sends_one_reminder_now(self, cycle, people_ready, django_capture_on_commit_callbacks):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people_ready["koho_head"].user)
        page = client.get(PAGE).content.decode()
        koho = people_ready["koho"]
        form = re.search(rf'<form method="post" action="{remind_url(cycle, koho)}"[^>]*>(.*?)</form>', page, re.S)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(1)).group(1)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(remind_url(cycle, koho), {"csrfmiddlewaretoken": token}, follow=True)

        assert messages_text(response) == "広報一郎さんに督促メールを送信しました。"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [koho.user.email]
        assert message.subject.startswith("【SNSガイドライン研修】所属長から受講の督促です")
        assert "所属長から、研修の受講を促すお知らせが届いています。" in message.body
        assert "http://127.0.0.1:8000/ashiya-test/" in message.body
        log = ReminderLog.objects.get()
        assert (log.kind, log.sent_on, log.sent_by, log.recipient) == (
            "manual",
            timezone.localdate(),
            people_ready["koho_head"].user,
            koho.user.email,
        )
        assert log.sent_at is not None
        assert ModelLogEntry.objects.filter(action="training.reminder_sent").count() == 1
        page = client.get(PAGE).content.decode()
        assert f"最終送信{timezone.localdate().month}月{timezone.localdate().day}日" in row_text(page, koho)

    def test_a_second_press_the_same_day_is_refused_with_a_message(
        self, head_client, cycle, people_ready, django_capture_on_commit_callbacks
    ):
        koho = people_ready["koho"]
        with django_capture_on_commit_callbacks(execute=True):
            head_client.post(remind_url(cycle, koho), follow=True)
            response = head_client.post(remind_url(cycle, koho), follow=True)

        assert (
            messages_text(response)
            == "広報一郎さんには本日すでに督促メールを送信しました。督促は1人につき1日1回までです。"
        )

    def test_without_csrf_the_post_is_refused(self, cycle, people_ready):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people_ready["koho_head"].user)
        assert client.post(remind_url(cycle, people_ready["koho"])).status_code == 403
        assert not ReminderLog.objects.exists()

    def test_a_get_changes_nothing(self, head_client, cycle, people_ready):
        assert head_client.get(remind_url(cycle, people_ready["koho"])).status_code == 405
        assert not ReminderLog.objects.exists()

    @pytest.mark.parametrize("who", ["somu", "kikaku_head", "s_staff"])
    def test_staff_outside_the_subtree_or_municipality_are_404(self, head_client, cycle, s_cycle, people_ready, who):
        target = people_ready[who]
        for some_cycle in (cycle, s_cycle):
            assert head_client.post(remind_url(some_cycle, target)).status_code == 404
        assert not ReminderLog.objects.exists() and not mail.outbox

    def test_a_head_of_another_municipality_gets_404(self, client, cycle, people_ready):
        client.force_login(people_ready["s_head"].user)
        assert client.post(remind_url(cycle, people_ready["koho"])).status_code == 404
        assert client.get(PAGE, {"cycle": cycle.pk}).status_code == 404

    def test_someone_without_e_mail_cannot_be_reminded_by_mail(self, head_client, cycle, people_ready):
        response = head_client.post(remind_url(cycle, people_ready["kakari_no_mail"]), follow=True)
        assert "メールアドレスが登録されていないため" in messages_text(response)
        assert not ReminderLog.objects.exists()

    def test_someone_who_completed_is_not_reminded(self, head_client, guideline, chapters, cycle, people_ready):
        koho = people_ready["koho"]
        pass_all(koho, chapters)
        attest(koho, guideline)
        response = head_client.post(remind_url(cycle, koho), follow=True)
        assert "督促の対象ではありません" in messages_text(response)
        assert f'action="{remind_url(cycle, koho)}"' not in response.content.decode()


def _bulk_people(department, count: int) -> list[StaffMember]:
    """`count` people in one department, written in bulk (the page's cost is what is measured)."""
    municipality = department.municipality
    users = User.objects.bulk_create(
        [User(username=f"q{department.pk}-{i}", email=f"q{department.pk}-{i}@example.jp") for i in range(count)]
    )
    return StaffMember.objects.bulk_create(
        [
            StaffMember(
                user=user,
                municipality=municipality,
                department=department,
                staff_number=f"8{i:05d}",
                name=f"職員 {i}",
                employment_type="contractor" if i % 7 == 0 else "regular",
                start_date=datetime.date(2020, 4, 1),
            )
            for i, user in enumerate(users)
        ]
    )


# The user (with staff record, department, municipality), the cycles, the assignments with
# status and last reminder, the chapters' clauses, the quizzed clauses, the clauses mastered per
# person and chapter, the departments offered by the filter (decision 0032). Session, page tree
# and site come from the cache.
PAGE_QUERIES = 7


@pytest.mark.parametrize("staff_count", [10, 500])
def test_the_page_costs_the_same_for_10_and_500_people(
    client, guideline, chapters, tree, people_ready, staff_count, django_assert_num_queries
):
    people = _bulk_people(tree["koho_kakari"], staff_count)
    ClauseProgress.objects.bulk_create(
        [
            ClauseProgress(staff=p, guideline=guideline, clause_key=key, state="mastered")
            for p in people[::2]
            for key in chapters[0].clause_keys()
        ]
    )
    QuizAttempt.objects.bulk_create(
        [QuizAttempt(staff=p, guideline=guideline, chapter=chapters[1]) for p in people[::3]]
    )
    year, opens, due, closes = this_year_dates()
    cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=opens, due_on=due, closes_on=closes)
    ReminderLog.objects.bulk_create(
        [
            ReminderLog(
                cycle=cycle,
                staff=a.staff,
                assignment=a,
                kind="before_due",
                sent_on=opens,
                recipient="x@example.jp",
                claim="00000000-0000-0000-0000-000000000000",
                sent_at=timezone.now(),
            )
            for a in Assignment.objects.filter(cycle=cycle).select_related("staff")[::4]
        ]
    )
    client.force_login(people_ready["koho_head"].user)
    assert client.get(PAGE).status_code == 200  # warm-up: fills the page-tree cache

    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(PAGE)

    assert response.content.decode().count('<tr id="staff-') == staff_count + 5


def test_the_chart_counts_completions_per_day_cumulatively():
    from training.charts import completion_chart
    from training.models import TrainingCycle

    cycle = TrainingCycle(
        opens_on=datetime.date(2026, 4, 1), due_on=datetime.date(2026, 4, 30), closes_on=datetime.date(2026, 5, 31)
    )
    chart = completion_chart(
        cycle=cycle,
        on=datetime.date(2026, 4, 15),
        # One completed before the cycle opened (counted from the first day), two on 4月8日.
        completed_on=[datetime.date(2026, 3, 20), datetime.date(2026, 4, 8), datetime.date(2026, 4, 8)],
        total=10,
    )
    assert [(p.day.day, p.completed, p.percent) for p in chart.table] == [(1, 1, 10), (8, 3, 30), (15, 3, 30)]
    assert len(chart.points.split()) == 15
    assert chart.summary == "4月1日から4月15日までに3人が修了（30%）"
