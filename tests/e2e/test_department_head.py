"""A 所属長 in the browser: from the header to their department's page, where they press 督促 for
one of their people; the e-mail goes out once, a second press the same day is refused with a
message; axe-core finds nothing on the page, and it fits a 360 px phone."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from playwright.sync_api import expect

from .conftest import staff_account
from .helpers import Account, axe_violations, horizontal_overflow, log_in
from .test_accessibility import _report

HEAD_EMAIL = "kacho@ashiya.example.jp"


@pytest.fixture
def department_head(accounts) -> Account:
    """A 所属長 of 芦屋市 広報課 (where the `accounts` employee works), a colleague without e-mail,
    and this 年度's cycle of the real 芦屋市 guideline, opened as HR opens it."""
    from django.utils import timezone

    from courses.models import GuidelinePage
    from people import services as people
    from people.models import Department, Municipality
    from sns_training.fiscal_year import fiscal_year_of
    from training.services import cycle_open, fiscal_year_bounds

    ashiya = accounts["ashiya"]
    municipality = Municipality.objects.get(code=ashiya.code)
    department = Department.objects.get(municipality=municipality, code="3100")
    head = staff_account(
        accounts,
        department=department,
        staff_number="000900",
        name="広報 課長",
        email=HEAD_EMAIL,
        role="department_head",
    )
    people.staff_create(
        municipality=municipality,
        staff_number="000901",
        name="芦屋 無線",
        department=department,
        start_date=datetime.date(2020, 4, 1),
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
    return head


def test_a_head_presses_tokusoku_once(page, accounts, department_head, axe_js):
    employee = accounts["ashiya"]
    log_in(page, department_head)

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="所属の受講状況").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("所属の受講状況")
    row = page.locator("tr", has=page.get_by_role("rowheader", name=employee.name))
    expect(row).to_contain_text("0/")
    expect(page.get_by_role("heading", name="メールのない職員")).to_be_visible()
    found = {"department page": axe_violations(page, axe_js)}

    row.get_by_role("button", name=f"{employee.name} さんに督促").click()

    expect(page.get_by_role("status")).to_have_text(f"{employee.name} さんに督促メールを送信しました。")
    sent = [m for m in mail.outbox if m.to == [employee.email]]
    assert len(sent) == 1 and "所属長から受講の督促です" in sent[0].subject
    assert employee.guideline_url in sent[0].body

    page.locator("tr", has=page.get_by_role("rowheader", name=employee.name)).get_by_role(
        "button", name=f"{employee.name} さんに督促"
    ).click()

    expect(page.get_by_role("status")).to_contain_text(
        "本日すでに督促メールを送信しました。督促は1人につき1日1回までです。"
    )
    assert len([m for m in mail.outbox if m.to == [employee.email]]) == 1
    found["after a second press"] = axe_violations(page, axe_js)
    assert not any(found.values()), _report(found)


def test_the_department_page_fits_a_phone(new_context, department_head, shots_dir):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    log_in(page, department_head)
    page.goto("/department/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= 360, f"scrolls sideways at 360px: {overflow}"
    button = page.get_by_role("button", name="督促").first
    button.scroll_into_view_if_needed()
    expect(button).to_be_visible()
    page.screenshot(path=str(shots_dir / "ashiya-phone-360-department.png"), full_page=True)
