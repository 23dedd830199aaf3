"""HR prepares the April reorganisation ahead of its day (decision 0039): uploads a department master
with 適用日 4月1日 that renames 広報課 and merges 広聴課 into it, reads the dry run, commits; nothing
changes for today. When the day comes (the daily job), the department has its new name and the
merged department's staff sit in it, yet last year's report still shows the name of then."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from .helpers import axe_violations, log_in
from .test_hr_reports import _hr_and_records


def test_hr_prepares_the_april_reorganisation_and_last_years_report_keeps_the_old_names(
    page, accounts, axe_js, shots_dir
):
    from django.utils import timezone

    from people import services as people
    from people.models import Department, DepartmentMembership, Municipality

    hr = _hr_and_records(accounts)  # a 令和7年度 cycle with people in 広報課 (3100) and 人事課 (2100)
    ashiya = Municipality.objects.get(code=hr.code)
    listening = people.department_create(municipality=ashiya, code="3200", name="広聴課")
    hearer = people.staff_create(
        municipality=ashiya,
        staff_number="000305",
        name="芦田 広聴",
        department=listening,
        start_date=datetime.date(2018, 4, 1),
    )
    today = timezone.localdate()
    april = datetime.date(today.year + (1 if today.month >= 4 else 0), 4, 1)
    content = "\r\n".join(
        ["所属コード,名称,上位所属コード,廃止,統合先コード", "3100,広報戦略課,,,", "3200,広聴課,,,3100", ""]
    ).encode("cp932")

    log_in(page, hr, by="email")
    page.goto("/admin/roster-import/")
    page.get_by_label("所属マスタ", exact=True).check()
    page.get_by_label("適用日").fill(april.isoformat())
    page.get_by_label(re.compile(r"^\s*CSVファイル")).set_input_files(
        {"name": "組織改正.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="確認する（まだ取り込みません）").click()

    page.wait_for_url(re.compile(r"/admin/roster-import/\d+/$"))
    expect(page.get_by_test_id("effective-on")).to_have_text(f"{april.year}年{april.month}月{april.day}日")
    expect(page.get_by_role("heading", name="名称変更（1件）")).to_be_visible()
    expect(page.get_by_test_id("table-rename")).to_contain_text("広報課 → 広報戦略課")
    expect(page.get_by_role("heading", name="統合（1件）")).to_be_visible()
    expect(page.get_by_test_id("table-merge")).to_contain_text("統合先: 3100（職員1人が異動）")
    assert Department.objects.get(pk=listening.pk).retired_on is None  # the dry run wrote nothing
    page.screenshot(path=str(shots_dir / "reorganisation-dry-run.png"), full_page=True)
    assert axe_violations(page, axe_js) == []

    page.get_by_role("button", name="取り込む").click()
    page.wait_for_url(re.compile(r"/admin/roster-import/\d+/$"))
    expect(page.get_by_text("「組織改正.csv」を取り込みました。")).to_be_visible()
    assert axe_violations(page, axe_js) == []

    koho = Department.objects.get(municipality=ashiya, code="3100")
    listening.refresh_from_db()
    hearer.refresh_from_db()
    # Prepared ahead: today nothing has changed yet, the history holds the day.
    assert (koho.name, hearer.department_id) == ("広報課", listening.pk)
    assert (listening.retired_on, listening.merged_into_id) == (april, koho.pk)
    assert DepartmentMembership.objects.on(april).get(staff=hearer).department_id == koho.pk

    # The day comes: the daily job (manage.py apply_department_history) applies it.
    assert people.department_changes_apply(municipality=ashiya, on=april) == {
        "renamed": 1,
        "moved": 1,
        "placed": 0,
        "deactivated": 0,
    }
    koho.refresh_from_db()
    hearer.refresh_from_db()
    assert (koho.name, hearer.department_id) == ("広報戦略課", koho.pk)

    # Last year's report (令和7年度) still names the department as it was then.
    page.goto("/admin/hr-reports/staff/")
    results = page.locator("#listing-results")
    expect(results).to_contain_text("芦田 修了")
    expect(results).to_contain_text("広報課")
    expect(results).not_to_contain_text("広報戦略課")
    page.screenshot(path=str(shots_dir / "reorganisation-last-years-report.png"), full_page=True)
