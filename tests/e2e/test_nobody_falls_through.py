"""Nobody falls through (decision 0032), in the browser: a 所属長 reminds everyone still open in one
action (confirmation page, then the result), filters their list and opens the printable list of
people without e-mail; HR sees, on the dashboard, the overdue people with no 所属長 above them.
axe-core finds nothing on the new pages."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from playwright.sync_api import expect

from .conftest import staff_account
from .helpers import Account, axe_violations, log_in
from .test_accessibility import _report


@pytest.fixture
def city(accounts) -> dict[str, Account]:
    """芦屋市: a 所属長 of 広報課 (where the `accounts` employee works) and a colleague without
    e-mail; 総務課, with nobody above it, where one person works; HR in 人事課; this 年度's cycle
    of the real guideline, due three days ago."""
    from django.utils import timezone

    from courses.models import GuidelinePage
    from people import services as people
    from people.models import Department, Municipality
    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
    from training.services import cycle_open

    ashiya = accounts["ashiya"]
    municipality = Municipality.objects.get(code=ashiya.code)
    koho = Department.objects.get(municipality=municipality, code="3100")
    head = staff_account(
        accounts,
        department=koho,
        staff_number="000900",
        name="広報 課長",
        email="kacho@ashiya.example.jp",
        role="department_head",
    )
    for number, name, department in [("000901", "芦屋 無線", koho)]:
        people.staff_create(
            municipality=municipality,
            staff_number=number,
            name=name,
            department=department,
            start_date=datetime.date(2020, 4, 1),
        )
    somu = people.department_create(municipality=municipality, code="2200", name="総務課")
    people.staff_create(
        municipality=municipality,
        staff_number="000910",
        name="総務 無主",
        department=somu,
        start_date=datetime.date(2020, 4, 1),
        email="somu@ashiya.example.jp",
    )
    jinji = people.department_create(municipality=municipality, code="2100", name="人事課")
    hr = staff_account(
        accounts,
        department=jinji,
        staff_number="000950",
        name="人事 太郎",
        email="jinji@ashiya.example.jp",
        role="hr",
    )
    today = timezone.localdate()
    year = fiscal_year_of(today)
    start, end = fiscal_year_bounds(year)
    cycle_open(
        guideline=GuidelinePage.objects.get(slug=ashiya.guideline["slug"]),
        fiscal_year=year,
        opens_on=start,
        due_on=max(start, today - datetime.timedelta(days=3)),
        closes_on=end,
    )
    return {"head": head, "hr": hr}


def test_a_head_reminds_all_open_and_hr_sees_the_people_without_a_head(page, new_context, accounts, city, axe_js):
    employee = accounts["ashiya"]
    log_in(page, city["head"])
    page.goto("/department/")
    found = {"department page": axe_violations(page, axe_js)}

    page.get_by_role("link", name="未修了の全員に督促").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("未修了の全員に督促")
    expect(page.get_by_text(f"{employee.staff_number} {employee.name}")).to_be_visible()
    expect(page.get_by_text("メールアドレスのない1人には送れません")).to_be_visible()
    found["remind-all confirmation"] = axe_violations(page, axe_js)
    assert not [m for m in mail.outbox if m.to == [employee.email]]

    page.get_by_role("button", name="督促メールを送信する").click()

    expect(page.get_by_role("status")).to_contain_text("人に督促メールを送信しました")
    expect(page.get_by_role("status")).to_contain_text("メールなし 1人")
    assert len([m for m in mail.outbox if m.to == [employee.email]]) == 1

    # Again the same day: nobody gets a second mail.
    page.get_by_role("link", name="未修了の全員に督促").click()
    page.get_by_role("button", name="督促メールを送信する").click()
    expect(page.get_by_role("status")).to_contain_text("0人に督促メールを送信しました")
    assert len([m for m in mail.outbox if m.to == [employee.email]]) == 1

    # Filter by name.
    page.get_by_label("氏名・カナ・職員番号").fill("無線")
    page.get_by_role("button", name="絞り込む").click()
    rows = page.get_by_role("region", name="職員ごとの状況の表").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("rowheader")).to_have_text("芦屋 無線")
    found["filtered list"] = axe_violations(page, axe_js)

    page.get_by_role("link", name="メールのない職員の一覧（印刷用）").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メールのない職員の一覧")
    expect(page.get_by_role("rowheader", name="芦屋 無線")).to_be_visible()
    found["printable list"] = axe_violations(page, axe_js)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="印刷する")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto("/department/")
    page.get_by_role("rowheader", name=employee.name).get_by_role("link").click()
    expect(page.get_by_role("heading", name="研修の受講状況")).to_be_visible()
    found["staff detail"] = axe_violations(page, axe_js)

    hr_page = new_context().new_page()
    log_in(hr_page, city["hr"])
    hr_page.goto("/admin/hr-reports/dashboard/")
    section = hr_page.locator("#without-head")
    expect(section.get_by_role("heading")).to_contain_text("所属長のいない期限超過者")
    expect(section.get_by_role("rowheader", name="総務 無主")).to_be_visible()
    expect(section.get_by_role("rowheader", name=employee.name)).to_have_count(0)
    found["HR dashboard"] = axe_violations(hr_page, axe_js)

    assert not any(found.values()), _report(found)
