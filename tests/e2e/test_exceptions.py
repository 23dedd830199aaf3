"""Exceptions and deadlines in the browser (issue 15): HR extends one person's due date and exempts
another on the exceptions screen; the employee's my page shows the new due date and the days left.
An employee who passes every required chapter (the last two in the browser: the review shows the
pass rule applied and offers 次の章へ, then 誓約へ進む) is 誓約待ち on my page and on the 所属長's page.
axe-core finds nothing on the new and changed pages."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from .conftest import hr_account, staff_account
from .helpers import axe_violations, log_in
from .test_accessibility import _report
from .test_quiz import _pass_by_services, _start_quiz, _submit


@pytest.fixture
def city(questions):
    """芦屋市 広報課: the `accounts` employee, a colleague, their 所属長; HR; this 年度's cycle of the
    real guideline, due in ten days (or at the 年度's end)."""
    from django.utils import timezone

    from courses.models import GuidelinePage
    from people import services as people
    from people.models import Department, Municipality
    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
    from training.services import cycle_open

    ashiya = questions["ashiya"]
    municipality = Municipality.objects.get(code=ashiya.code)
    department = Department.objects.get(municipality=municipality, code="3100")
    head = staff_account(
        questions,
        department=department,
        staff_number="000950",
        name="広報 課長",
        email="kacho@ashiya.example.jp",
        role="department_head",
    )
    people.staff_create(
        municipality=municipality,
        staff_number="000951",
        name="芦屋 休子",
        department=department,
        start_date=datetime.date(2020, 4, 1),
        email="yasumi@ashiya.example.jp",
    )
    hr = hr_account(questions)
    today = timezone.localdate()
    year = fiscal_year_of(today)
    start, end = fiscal_year_bounds(year)
    due = min(end, today + datetime.timedelta(days=10))
    cycle = cycle_open(
        guideline=GuidelinePage.objects.get(slug=ashiya.guideline["slug"]),
        fiscal_year=year,
        opens_on=start,
        due_on=due,
        closes_on=end,
    )
    return {"employee": ashiya, "head": head, "hr": hr, "cycle": cycle, "today": today, "end": end}


def _log_out(page) -> None:
    page.context.clear_cookies()


def test_hr_extends_and_exempts_and_the_employee_sees_the_new_due_date(page, city, axe_js):
    from training.models import Assignment, TrainingCycle

    employee, cycle, today = city["employee"], city["cycle"], city["today"]
    # The cycle fell due up to ten days ago (on 1 April, today), so a later date within the 年度 is
    # always there to extend to, whatever day the suite runs.
    due = max(cycle.opens_on, today - datetime.timedelta(days=10))
    TrainingCycle.objects.filter(pk=cycle.pk).update(due_on=due)
    Assignment.objects.filter(cycle=cycle).update(due_on=due)
    new_due = min(city["end"], today + datetime.timedelta(days=40))
    assert new_due > due
    log_in(page, city["hr"])
    page.goto(f"/admin/training-exceptions/cycle/{cycle.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("期限延長・免除")
    found = {"exceptions screen": axe_violations(page, axe_js)}

    page.get_by_label(f"{employee.name} を選択").check()
    page.get_by_label("操作").select_option("extend")
    page.get_by_label("新しい受講期限").fill(new_due.isoformat())
    page.get_by_label("理由").select_option(label="育児休業")
    page.get_by_role("button", name="実行する").click()
    expect(page.get_by_text("1人の受講期限を延長しました。")).to_be_visible()

    page.get_by_label("芦屋 休子 を選択").check()
    page.get_by_label("操作").select_option("exempt")
    page.get_by_label("理由").select_option(label="休職")
    page.get_by_role("button", name="実行する").click()
    expect(page.get_by_text("1人を今年度の受講から免除しました。")).to_be_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="変更の記録"))
    expect(history).to_contain_text("期限延長")
    expect(history).to_contain_text("免除")
    # Wagtail's own flash message (its fade-in) is not this page's: audit the page as reloaded.
    page.reload()
    found["after the changes"] = axe_violations(page, axe_js)

    _log_out(page)
    log_in(page, employee)
    deadline = page.locator(".deadline").first
    expect(deadline).to_contain_text(f"{new_due.year}年{new_due.month}月{new_due.day}日")
    expect(deadline).to_contain_text("（延長）")
    expect(deadline).to_contain_text(f"あと{(new_due - today).days}日")
    expect(deadline.locator(".deadline__status")).to_have_text("未受講")
    found["my page"] = axe_violations(page, axe_js)
    assert not any(found.values()), _report(found)


def test_passing_every_chapter_is_awaiting_attestation_everywhere(page, city, axe_js):
    from courses.models import GuidelinePage, live_chapters_of
    from people.models import StaffMember
    from quizzes.selectors import chapter_required_for

    employee = city["employee"]
    staff = StaffMember.objects.get(staff_number=employee.staff_number, municipality__code=employee.code)
    guideline = GuidelinePage.objects.get(slug=employee.guideline["slug"])
    required = [c.key for c in live_chapters_of(guideline) if chapter_required_for(staff=staff, chapter=c)]
    assert len(required) >= 2
    _pass_by_services(employee, required[2:])

    log_in(page, employee)
    items = _start_quiz(page, employee, required[0])
    _submit(page, items)
    expect(page.locator(".result")).to_contain_text("この章は合格です。")
    expect(page.locator(".result__rule")).to_contain_text(f"{len(items)}件を習得しました")
    expect(page.locator(".actions .button--primary")).to_contain_text("次の章へ")
    found = {"review": axe_violations(page, axe_js)}
    expect(page.locator(".deadline__status")).to_have_count(0)  # the review is not my page

    page.goto("/mypage/")
    expect(page.locator(".deadline__status").first).to_have_text("受講中")
    items = _start_quiz(page, employee, required[1])
    _submit(page, items)
    # The last required chapter passed: the main button is the attestation.
    expect(page.locator(".actions .button--primary")).to_have_text("誓約へ進む")

    page.goto("/mypage/")
    expect(page.locator(".deadline__status").first).to_have_text("誓約待ち")

    _log_out(page)
    log_in(page, city["head"])
    page.goto("/department/")
    row = page.locator("tr", has=page.get_by_role("rowheader", name=employee.name))
    expect(row).to_contain_text("誓約待ち")
    found["department page"] = axe_violations(page, axe_js)
    assert not any(found.values()), _report(found)
