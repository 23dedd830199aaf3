"""HR appoints a 所属長 on screen (issue 12, decision 0027): from the admin menu 「役割の任命」 to the
person, the 役割 panel, the confirmation and the POST; the department list then shows the head.
The new 所属長 logs in and reaches the 所属長's page (/department/). axe-core finds nothing on the
new admin pages (they are the project's own templates, not stock Wagtail views)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import hr_account
from .helpers import axe_violations, log_in


def test_hr_appoints_a_department_head_who_then_sees_the_department_page(page, accounts, axe_js, shots_dir):
    from identity.models import AccessEvent
    from people.models import StaffMember

    hr = hr_account(accounts)
    employee = accounts["ashiya"]  # 芦田 健 of 広報課 (3100)

    log_in(page, hr, by="email")
    page.goto("/admin/")
    page.get_by_role("link", name="役割の任命").click()
    page.wait_for_url("**/admin/roles/")
    expect(page.get_by_test_id("role-staff")).to_contain_text(employee.name)
    expect(page.get_by_test_id("role-staff")).not_to_contain_text("須賀")
    assert axe_violations(page, axe_js) == []

    page.get_by_role("link", name="所属ごとの所属長（空席の所属）を見る").click()
    page.wait_for_url("**/admin/roles/departments/")
    row = page.get_by_test_id("department-heads").get_by_role("row", name=re.compile("広報課"))
    expect(row).to_contain_text("空席")
    assert axe_violations(page, axe_js) == []

    page.goto("/admin/roles/")
    page.get_by_label("氏名・カナ・職員番号").fill(employee.staff_number)
    page.get_by_role("button", name="絞り込む").click()
    page.get_by_role("link", name=employee.name).click()
    page.wait_for_url(re.compile(r"/admin/roles/\d+/$"))
    panel = page.get_by_test_id("roles-panel")
    expect(panel).to_contain_text("現在の役割：職員")
    assert axe_violations(page, axe_js) == []
    page.screenshot(path=str(shots_dir / "roles-detail.png"), full_page=True)

    panel.get_by_role("link", name="所属長に任命する").click()
    page.wait_for_url(re.compile(r"/admin/roles/\d+/appoint/department_head/$"))
    expect(page.get_by_text("広報課（3100）の所属長になります")).to_be_visible()
    assert axe_violations(page, axe_js) == []
    member = StaffMember.objects.get(municipality__code=employee.code, staff_number=employee.staff_number)
    assert member.role == "employee"  # the confirmation page changed nothing
    page.get_by_role("button", name="任命する").click()

    page.wait_for_url(re.compile(r"/admin/roles/\d+/$"))
    expect(page.get_by_text(f"{employee.name} さんを所属長に任命しました。")).to_be_visible()
    expect(page.get_by_test_id("roles-panel")).to_contain_text("現在の役割：所属長")
    page.screenshot(path=str(shots_dir / "roles-appointed.png"), full_page=True)
    member.refresh_from_db()
    assert member.role == "department_head"
    event = AccessEvent.objects.get(kind="role_changed", subject=member.user)
    assert event.actor.staff_profile.staff_number == hr.staff_number
    assert event.detail["department"] == "3100"

    page.goto("/admin/roles/departments/?head=filled")
    expect(page.get_by_test_id("department-heads")).to_contain_text(employee.name)

    # The new 所属長 logs in (a fresh session) and opens their page.
    page.context.clear_cookies()
    log_in(page, employee, by="email")
    page.goto("/department/")
    expect(page.get_by_role("heading", name="所属の受講状況")).to_be_visible()
    expect(page.get_by_text("広報課（下位の所属を含む）")).to_be_visible()
