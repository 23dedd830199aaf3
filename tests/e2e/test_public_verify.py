"""A certificate's reader confirms it on the public page without logging in; an employee who opens
the admin is told what it is for (issue 16)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import axe_violations, horizontal_overflow, log_in


def _record_of(account):
    from courses.models import GuidelinePage
    from people.models import StaffMember
    from tests.reports.conftest import make_record

    staff = StaffMember.objects.get(staff_number=account.staff_number, municipality__code=account.code)
    return make_record(staff, GuidelinePage.objects.get(slug=account.guideline["slug"]), fiscal_year=2026)


def test_a_reader_confirms_a_certificate_on_a_phone(page, accounts, axe_js, shots_dir):
    record = _record_of(accounts["sukagawa"])
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto("/verify/")
    found = {"form": axe_violations(page, axe_js)}
    code = record.verification_code
    page.get_by_label("確認コード").fill(f"{code[:4].lower()}-{code[4:]}")
    page.get_by_role("button", name="確認する").click()

    expect(page).to_have_url(re.compile(rf"/verify/{code}/$"))
    expect(page.locator("#verify-result")).to_contain_text("有効なもの")
    details = page.get_by_label("修了証の内容")
    expect(details).to_contain_text(accounts["sukagawa"].name)
    expect(details).to_contain_text("須賀川市")
    expect(details).to_contain_text("令和8年度")
    expect(details).not_to_contain_text(accounts["sukagawa"].staff_number)
    found["result"] = axe_violations(page, axe_js)
    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["viewport"], overflow
    page.screenshot(path=str(shots_dir / "verify-public.png"), full_page=True)

    page.get_by_label("確認コード").fill("ZZZZ-0000-0000")
    page.get_by_role("button", name="確認する").click()
    expect(page.locator("#verify-result")).to_contain_text("一致する修了証はありません")
    found["unknown"] = axe_violations(page, axe_js)
    assert found == {"form": [], "result": [], "unknown": []}, found


def test_an_employee_opening_the_admin_is_told_what_it_is_for(page, accounts, axe_js):
    log_in(page, accounts["ashiya"])

    page.goto("/admin/")

    expect(page.get_by_role("heading", level=1)).to_have_text("管理画面は人事担当・編集担当の方向けです")
    expect(page.get_by_label("パスワード")).to_have_count(0)
    violations = axe_violations(page, axe_js)
    page.get_by_role("link", name="マイページへ").click()
    expect(page).to_have_url(re.compile(r"/mypage/$"))
    assert violations == []
