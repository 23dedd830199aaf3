"""HR opens and manages their municipality's training cycles in the Wagtail admin (「研修サイクル」):
the listing shows 対象者数 / 修了者数 / 修了率, creation assigns the audience, choices and every
view are scoped to the HR user's municipality (another's cycle answers 404)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.factories import TrainingCycleFactory, UserFactory
from tests.helpers import response_text, squeeze, visible_text
from training.models import Assignment, TrainingCycle

from .conftest import CLOSES, DUE, FY, OPENS, attest, pass_all, this_year_dates

pytestmark = pytest.mark.django_db

INDEX = "/admin/training_cycles/"
ADD = "/admin/training_cycles/new/"


def edit_url(cycle) -> str:
    return f"/admin/training_cycles/edit/{cycle.pk}/"


@pytest.fixture
def hr_client(client, people_ready):
    client.force_login(people_ready["hr"].user)
    return client


def form(guideline, **kwargs) -> dict:
    data = {
        "guideline": guideline.pk,
        "fiscal_year": FY,
        "opens_on": OPENS.isoformat(),
        "due_on": DUE.isoformat(),
        "closes_on": CLOSES.isoformat(),
        "new_hire_due_days": 30,
    }
    return data | kwargs


def test_hr_opens_a_cycle_and_its_audience_is_assigned(hr_client, guideline, people_ready, tree):
    response = hr_client.post(
        ADD, form(guideline, employment_types=["regular"], departments=[tree["koho"].pk]), follow=True
    )

    cycle = TrainingCycle.objects.get()
    assert set(Assignment.objects.filter(cycle=cycle).values_list("staff__staff_number", flat=True)) == {
        "110001",
        "110002",
        "111001",
        "111002",
    }
    assert cycle.created_by == people_ready["hr"].user
    assert "研修サイクル「令和8年度 芦屋市テストガイドライン」を開始し、4人を対象にしました。" in response_text(
        response
    )


def test_the_listing_shows_counts_and_rate(hr_client, guideline, chapters, people_ready):
    year, opens, due, closes = this_year_dates()
    cycle = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=opens, due_on=due, closes_on=closes)
    Assignment.objects.filter(cycle=cycle, staff=people_ready["somu"]).update(withdrawn_at=timezone.now())
    pass_all(people_ready["koho"], chapters)
    attest(people_ready["koho"], guideline)

    page = squeeze(visible_text(hr_client.get(INDEX).content.decode()))

    assert "研修サイクル自治体受講期限対象者数修了者数修了率" in page
    # 8 assigned, one withdrawn (left), one of the other 7 completed.
    assert f"{cycle}芦屋市{due.year}年{due.month}月{due.day}日7114%".replace(" ", "") in page


def test_choices_are_only_the_users_municipality(hr_client, guideline, s_guideline, tree):
    response = hr_client.get(ADD)
    assert response.status_code == 200
    page = response.content.decode()
    assert guideline.title in page and s_guideline.title not in page
    assert "広報係（1110）" in page and "須賀川" not in page
    assert "令和8年度" in page


def test_another_municipalitys_guideline_or_department_is_refused(hr_client, guideline, s_guideline, tree):
    response = hr_client.post(ADD, form(s_guideline))
    assert response.status_code == 200 and not TrainingCycle.objects.exists()
    response = hr_client.post(ADD, form(guideline, departments=[tree["s_somu"].pk]))
    assert response.status_code == 200 and not TrainingCycle.objects.exists()


def test_bad_dates_are_refused_in_japanese(hr_client, guideline, people_ready):
    response = hr_client.post(ADD, form(guideline, due_on="2027-04-30"))
    assert response.status_code == 200
    assert "日付は令和8年度の範囲（2026年4月1日〜2027年3月31日）で指定してください。" in response_text(response)
    assert not TrainingCycle.objects.exists() and not Assignment.objects.exists()


def test_another_municipalitys_cycle_is_404(hr_client, s_guideline, people_ready):
    other = TrainingCycleFactory(guideline=s_guideline)
    for url in (edit_url(other), f"/admin/training_cycles/history/{other.pk}/"):
        assert hr_client.get(url).status_code == 404, url
    assert hr_client.post(edit_url(other), {"due_on": "2026-07-31", "closes_on": "2027-03-31"}).status_code == 404
    assert s_guideline.title not in hr_client.get(INDEX).content.decode()
    assert TrainingCycle.objects.get(pk=other.pk).due_on == DUE


def test_hr_moves_the_due_date_and_the_assignments_follow(hr_client, guideline, people_ready):
    cycle = TrainingCycleFactory(guideline=guideline)
    page = hr_client.get(edit_url(cycle))
    assert page.status_code == 200 and 'name="due_on"' in page.content.decode()
    assert 'name="departments"' not in page.content.decode()  # the audience is fixed once opened
    response = hr_client.post(
        edit_url(cycle), {"due_on": "2026-07-31", "closes_on": "2027-03-31", "new_hire_due_days": 45}
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.due_on, cycle.new_hire_due_days) == (datetime.date(2026, 7, 31), 45)
    assert set(Assignment.objects.filter(cycle=cycle).values_list("due_on", flat=True)) == {datetime.date(2026, 7, 31)}


def test_nobody_deletes_a_cycle(client, guideline, people_ready):
    cycle = TrainingCycleFactory(guideline=guideline)
    client.force_login(UserFactory(is_superuser=True))
    response = client.post(f"/admin/training_cycles/delete/{cycle.pk}/")
    assert response.status_code in (302, 403)
    assert TrainingCycle.objects.filter(pk=cycle.pk).exists()


def test_a_platform_admin_sees_every_municipality(client, guideline, s_guideline, people_ready):
    TrainingCycleFactory(guideline=guideline)
    TrainingCycleFactory(guideline=s_guideline)
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(INDEX).content.decode()
    assert guideline.title in page and s_guideline.title in page


@pytest.mark.parametrize("role", ["koho", "koho_head"])
def test_employees_and_heads_have_no_cycle_admin(client, guideline, people_ready, role):
    cycle = TrainingCycleFactory(guideline=guideline)
    client.force_login(people_ready[role].user)
    for url in (INDEX, ADD, edit_url(cycle)):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert guideline.title not in response.content.decode()
    assert client.post(ADD, form(guideline, fiscal_year=2027)).status_code in (302, 403)
    assert TrainingCycle.objects.count() == 1
