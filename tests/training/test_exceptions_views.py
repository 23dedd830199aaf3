"""HR's exceptions screen (training/exceptions_admin.py) and where exceptions and the new statuses
show: the personnel record, the department summary and its export, my page, the quiz review."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import TrainingCycleFactory
from training.models import Assignment, AssignmentException

from .conftest import CLOSES, DUE, FY, OPENS, this_year_dates

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(guideline, chapters, people_ready):
    return TrainingCycleFactory(guideline=guideline, fiscal_year=FY, opens_on=OPENS, due_on=DUE, closes_on=CLOSES)


@pytest.fixture
def running_cycle(guideline, chapters, people_ready):
    """A cycle of this 年度, due at its end: the reports read the roster as of today."""
    year, opens, _due, closes = this_year_dates()
    return TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=opens, due_on=closes, closes_on=closes)


def url(cycle) -> str:
    return reverse("training-exceptions:cycle", args=[cycle.pk])


def row(cycle, staff) -> Assignment:
    return Assignment.objects.get(cycle=cycle, staff=staff)


def test_hr_sees_the_assignees_and_extends_a_selection(client, cycle, people_ready):
    client.force_login(people_ready["hr"].user)
    response = client.get(url(cycle))
    assert response.status_code == 200
    assert "広報 一郎" in response.content.decode()

    ids = [row(cycle, people_ready["koho"]).pk, row(cycle, people_ready["kakari"]).pk]
    response = client.post(
        url(cycle), {"action": "extend", "assignments": ids, "due_on": "2026-09-30", "reason": "childcare"}
    )
    assert response.status_code == 302
    assert set(Assignment.objects.filter(pk__in=ids).values_list("due_on", flat=True)) == {datetime.date(2026, 9, 30)}
    page = client.get(url(cycle)).content.decode()
    assert "期限延長" in page and "育児休業" in page


def test_hr_exempts_and_the_personnel_record_shows_it(client, cycle, people_ready):
    client.force_login(people_ready["hr"].user)
    koho = people_ready["koho"]
    response = client.post(
        url(cycle), {"action": "exempt", "assignments": [row(cycle, koho).pk], "reason": "sick", "note": "療養"}
    )
    assert response.status_code == 302
    assert row(cycle, koho).exempted_at is not None
    page = client.get(reverse("hr_reports:personnel", args=[koho.pk])).content.decode()
    assert "免除（病気休暇）" in page and "療養" in page

    response = client.post(url(cycle), {"action": "undo_exemption", "assignments": [row(cycle, koho).pk]})
    assert response.status_code == 302
    assert row(cycle, koho).exempted_at is None
    assert AssignmentException.objects.filter(assignment__staff=koho).count() == 2


def test_a_refused_action_shows_the_message_and_writes_nothing(client, cycle, people_ready):
    client.force_login(people_ready["hr"].user)
    a = row(cycle, people_ready["koho"])
    response = client.post(
        url(cycle), {"action": "extend", "assignments": [a.pk], "due_on": "2026-05-01", "reason": "leave"}
    )
    assert response.status_code == 400
    assert "新しい受講期限" in response.content.decode()
    response = client.post(url(cycle), {"action": "exempt", "assignments": [a.pk]})  # no reason
    assert response.status_code == 400
    assert not AssignmentException.objects.exists()


def test_get_changes_nothing(client, cycle, people_ready):
    client.force_login(people_ready["hr"].user)
    a = row(cycle, people_ready["koho"])
    client.get(url(cycle), {"action": "exempt", "assignments": [a.pk], "reason": "leave"})
    assert row(cycle, people_ready["koho"]).exempted_at is None


def test_another_municipality_answers_404(client, cycle, people_ready, s_guideline):
    s_cycle = TrainingCycleFactory(guideline=s_guideline, fiscal_year=FY, opens_on=OPENS, due_on=DUE, closes_on=CLOSES)
    client.force_login(people_ready["hr"].user)
    assert client.get(url(s_cycle)).status_code == 404
    s_row = row(s_cycle, people_ready["s_staff"])
    # Another cycle's assignment posted to one's own cycle: 404, nothing written.
    response = client.post(url(cycle), {"action": "exempt", "assignments": [s_row.pk], "reason": "leave"})
    assert response.status_code == 404
    assert not AssignmentException.objects.exists()


@pytest.mark.parametrize("who", ["koho", "koho_head"])
def test_employees_and_department_heads_are_refused(client, cycle, people_ready, who):
    client.force_login(people_ready[who].user)
    a = row(cycle, people_ready["koho"])
    assert client.get(url(cycle)).status_code in (302, 403, 404)
    response = client.post(url(cycle), {"action": "exempt", "assignments": [a.pk], "reason": "leave"})
    assert response.status_code in (302, 403, 404)
    assert row(cycle, people_ready["koho"]).exempted_at is None


def test_the_department_summary_counts_exempt_and_awaiting(client, running_cycle, people_ready):
    cycle = running_cycle
    from people.models import Department
    from reports.queries.common import DepartmentIndex
    from reports.queries.department_summary import department_summary, summary_export_rows

    Assignment.objects.filter(cycle=cycle, staff=people_ready["koho"]).update(exempted_at=timezone.now())
    Assignment.objects.filter(cycle=cycle, staff=people_ready["kakari"]).update(chapters_passed_at=timezone.now())
    index = DepartmentIndex(Department.objects.filter(municipality=cycle.municipality).order_by("path"))
    as_of = timezone.localdate()  # the cycle runs today and is due at the 年度's end
    summary = department_summary(cycle=cycle, as_of=as_of, departments=index)
    assert summary.total.exempt == 1 and summary.total.awaiting == 1
    total_row = summary_export_rows(summary)[-1]
    assert total_row[-2:] == (1, 1)
    everyone = Assignment.objects.filter(cycle=cycle, withdrawn_at__isnull=True).count()
    assert summary.total.total == everyone - 1


def test_my_page_shows_the_due_date_days_left_and_status(client, people_ready, guideline, chapters):
    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of

    today = timezone.localdate()
    year = fiscal_year_of(today)
    start, end = fiscal_year_bounds(year)
    due = min(end, today + datetime.timedelta(days=20))
    cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=start, due_on=due, closes_on=end)
    koho = people_ready["koho"]
    client.force_login(koho.user)
    page = client.get(reverse("courses:mypage")).content.decode()
    assert f"{due.year}年{due.month}月{due.day}日" in page
    assert f"あと{(due - today).days}日" in page and "未受講" in page

    Assignment.objects.filter(cycle=cycle, staff=koho).update(chapters_passed_at=timezone.now())
    page = client.get(reverse("courses:mypage")).content.decode()
    assert "誓約待ち" in page

    Assignment.objects.filter(cycle=cycle, staff=koho).update(exempted_at=timezone.now())
    assert "免除" in client.get(reverse("courses:mypage")).content.decode()


def test_the_staff_report_and_its_export_show_exempt_and_awaiting(client, running_cycle, people_ready):
    cycle = running_cycle
    import csv
    import io

    from tests.reports.conftest import streamed

    Assignment.objects.filter(cycle=cycle, staff=people_ready["koho"]).update(exempted_at=timezone.now())
    Assignment.objects.filter(cycle=cycle, staff=people_ready["kakari"]).update(chapters_passed_at=timezone.now())
    as_of = timezone.localdate()  # the cycle runs today and is due at the 年度's end
    client.force_login(people_ready["hr"].user)
    base = reverse("hr_reports:staff")
    params = f"?cycle={cycle.pk}&as_of={as_of.isoformat()}"
    page = client.get(base + params).content.decode()
    assert "免除" in page and "誓約待ち" in page
    assert reverse("training-exceptions:cycle", args=[cycle.pk]) in page  # HR's way to the exceptions
    response = client.get(base + params + "&export=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(streamed(response).decode("utf-8-sig"), newline="")))
    by_name = {row[3]: row[7] for row in rows[1:]}
    assert by_name["広報 一郎"] == "免除" and by_name["広報係 二郎"] == "誓約待ち"
