"""HR filters the staff report in the Wagtail admin and downloads the XLSX: logs in through the real
form, opens 職員別の受講状況 from the Reports menu, narrows it with Wagtail's filters (the list
refreshes without a page load), downloads the XLSX from the header's actions and reads it back.
Also: the dashboard's charts and the heat-map render, each checked with axe-core."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
from playwright.sync_api import expect

from .conftest import hr_account
from .helpers import Account, axe_violations, log_in

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
# Wagtail's own filter toggle, once a filter is active: its aria-label is 「絞り込みを表示」 (the
# project's catalog, locale_admin/) while the count badge beside it is visible text. Wagtail's markup, not the
# reports'; every other violation fails the test.
WAGTAIL_FILTER_TOGGLE = ("label-content-name-mismatch", (".w-slim-header-action-button",))


def our_violations(page, axe_js) -> list[dict]:
    return [v for v in axe_violations(page, axe_js) if (v["id"], tuple(v["targets"])) != WAGTAIL_FILTER_TOGGLE]


def _hr_and_records(accounts) -> Account:
    """HR of 芦屋市 in 人事課, a 令和7年度 cycle of the real guideline with four people assigned:
    two completed (one in 広報課, HR themself), two not."""
    from courses.models import GuidelinePage
    from people import services as people
    from people.models import Department, Municipality, StaffMember
    from quizzes.models import ClauseProgress
    from tests.reports.conftest import make_record
    from training.models import Assignment, TrainingCycle

    ashiya = Municipality.objects.get(code=accounts["ashiya"].code)
    koho = Department.objects.get(municipality=ashiya, code="3100")
    account = hr_account(accounts)
    hr = StaffMember.objects.get(municipality=ashiya, staff_number=account.staff_number)
    done = people.staff_create(
        municipality=ashiya,
        staff_number="000104",
        name="芦田 修了",
        department=koho,
        start_date=datetime.date(2019, 4, 1),
    )
    employee = StaffMember.objects.get(municipality=ashiya, staff_number=accounts["ashiya"].staff_number)
    guideline = GuidelinePage.objects.get(municipality=ashiya)
    cycle = TrainingCycle.objects.create(
        municipality=ashiya,
        guideline=guideline,
        fiscal_year=2025,
        opens_on=datetime.date(2025, 4, 1),
        due_on=datetime.date(2025, 6, 30),
        closes_on=datetime.date(2026, 3, 31),
    )
    for person, completed in ((hr, "2025-05-20"), (done, "2025-06-02"), (employee, None)):
        record = None
        if completed:
            record = make_record(
                person,
                guideline,
                completed_at=datetime.datetime.fromisoformat(completed).replace(hour=10, tzinfo=TOKYO),
                cycle=cycle,
            )
        Assignment.objects.create(
            cycle=cycle,
            staff=person,
            reason="cycle_open",
            assigned_on=cycle.opens_on,
            due_on=cycle.due_on,
            completion=record,
            completed_at=record.attested_at if record else None,
        )
    keys = [key for chapter in guideline.get_children().specific() for key in chapter.clause_keys()][:3]
    ClauseProgress.objects.bulk_create(
        ClauseProgress(
            staff=p,
            guideline=guideline,
            fiscal_year=cycle.fiscal_year,
            clause_key=k,
            state="mastered",
            first_attempt_missed=n % 2 == 0,
        )
        for n, (p, k) in enumerate((p, k) for p in (hr, done) for k in keys)
    )
    return account


def test_hr_filters_the_staff_report_and_downloads_the_xlsx(page, accounts, axe_js, shots_dir):
    hr = _hr_and_records(accounts)
    employee = accounts["ashiya"]

    log_in(page, hr, by="email")
    page.goto("/admin/")
    page.get_by_role("button", name="レポート").click()
    page.get_by_role("link", name="職員別の受講状況").click()
    page.wait_for_url("**/admin/hr-reports/staff/")
    results = page.locator("#listing-results")
    expect(results.get_by_role("row")).to_have_count(4)  # the header and three people
    expect(results).to_contain_text(employee.name)

    # Wagtail's filters: 状況 → 修了; the list refreshes in place and the address follows.
    page.get_by_role("button", name="絞り込みを表示").click()
    page.get_by_role("button", name="状況").click()
    page.get_by_role("checkbox", name="修了").check()
    page.wait_for_url(re.compile(r"status=completed"))
    expect(results.get_by_role("row")).to_have_count(3)
    expect(results).not_to_contain_text(employee.name)
    expect(results).to_contain_text("芦田 修了")
    page.keyboard.press("Escape")
    # The filter panel fades out: let it finish, or axe reads its half-transparent labels as low contrast.
    expect(page.locator("#drilldown-id_status")).to_be_hidden()
    for _ in range(50):  # (wait_for_function would evaluate a string, which the CSP refuses)
        if page.evaluate("document.getAnimations().every(a => a.playState !== 'running')"):
            break
        page.wait_for_timeout(100)
    page.screenshot(path=str(shots_dir / "hr-staff-report.png"), full_page=True)
    assert our_violations(page, axe_js) == []

    # The downloads are a visible, labelled group beside the table (issue 16), not in a menu.
    expect(page.get_by_role("group", name="この表をダウンロード")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="XLSXでダウンロード").click()
    download = info.value
    assert re.fullmatch(r"芦屋市_令和7年度_職員別受講状況_\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    header, *rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert header[:8] == ["年度", "ガイドライン", "職員番号", "氏名", "所属コード", "所属名", "任用形態", "状況"]
    assert [(row[2], row[3], row[5], row[7]) for row in rows] == [
        ("000104", "芦田 修了", "広報課", "修了"),
        ("000900", "人事 太郎", "人事課", "修了"),
    ]
    assert rows[0][2] == "000104"  # a text cell: the leading zeros stay

    from wagtail.models import ModelLogEntry

    exported = ModelLogEntry.objects.filter(action="reports.exported").get()
    assert exported.user.email == hr.email
    assert exported.data["row_count"] == 2 and exported.data["filters"]["statuses"] == ["completed"]


def test_dashboard_and_heatmap_render_accessibly(page, accounts, axe_js, shots_dir):
    hr = _hr_and_records(accounts)

    log_in(page, hr, by="email")
    page.goto("/admin/hr-reports/dashboard/")
    expect(page.get_by_role("img", name=re.compile("所属別の修了率"))).to_be_visible()
    expect(page.get_by_role("table", name="所属別の修了率（表）")).to_contain_text("広報課")
    expect(page.get_by_role("table", name="週ごとの修了者数（累計）")).to_be_visible()
    page.screenshot(path=str(shots_dir / "hr-dashboard.png"), full_page=True)
    assert our_violations(page, axe_js) == []

    page.goto("/admin/hr-reports/clauses/")
    expect(page.locator("#clause-heatmap")).to_be_visible()
    page.screenshot(path=str(shots_dir / "hr-heatmap.png"), full_page=True)
    assert our_violations(page, axe_js) == []

    page.goto("/admin/hr-reports/departments/")
    expect(page.locator("#listing-results")).to_contain_text("広報課")
    page.screenshot(path=str(shots_dir / "hr-department-summary.png"), full_page=True)
    assert our_violations(page, axe_js) == []


def test_personnel_record_and_item_analysis_render_accessibly(page, questions, axe_js, shots_dir):
    hr = _hr_and_records(questions)

    log_in(page, hr, by="email")
    page.goto("/admin/hr-reports/personnel/")
    page.get_by_role("textbox", name=re.compile("検索|Search")).fill("000104")
    page.get_by_role("link", name="芦田 修了").click()
    page.wait_for_url(re.compile(r"/admin/hr-reports/personnel/\d+/$"))
    expect(page.get_by_role("heading", name="令和7年度の修了の証跡")).to_be_visible()
    expect(page.locator("#personnel-years")).to_contain_text("修了")
    page.screenshot(path=str(shots_dir / "hr-personnel-record.png"), full_page=True)
    assert our_violations(page, axe_js) == []

    page.goto("/admin/hr-reports/questions/")
    expect(page.locator("#item-analysis")).to_contain_text("回答数")
    page.screenshot(path=str(shots_dir / "hr-item-analysis.png"), full_page=True)
    assert our_violations(page, axe_js) == []


def test_hr_watches_a_certificate_zip_being_made_without_reloading(page, accounts, axe_js, shots_dir, settings):
    """HR asks for 広報課's certificates as a ZIP; no worker has taken it yet (the dummy task
    backend keeps it queued), so the page says it waits, with a 「状況を更新」 link instead of
    reloading itself. Once a worker builds it, the page's script shows the download link in place,
    without a reload, and the ZIP downloads."""
    import zipfile

    from reports.models import CertificateBundle
    from reports.services import certificate_bundle_build

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    hr = _hr_and_records(accounts)

    log_in(page, hr, by="email")
    page.goto("/admin/hr-reports/certificates/")
    page.get_by_role("combobox", name="所属").select_option("3100")
    page.get_by_role("combobox", name="年度").select_option("2025")
    page.get_by_role("button", name="ZIPの作成を依頼する").click()
    page.wait_for_url(re.compile(r"/admin/hr-reports/certificates/bundles/\d+/$"))
    status = page.get_by_role("status").filter(has_text="作成の順番を待っています。")
    expect(status).to_be_visible()
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("link", name="状況を更新")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "0")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    page.screenshot(path=str(shots_dir / "hr-certificate-bundle-waiting.png"), full_page=True)
    assert our_violations(page, axe_js) == []

    page.evaluate("window.stillTheSamePage = true")
    bundle = CertificateBundle.objects.get()
    assert bundle.status == CertificateBundle.Status.QUEUED
    certificate_bundle_build(bundle_id=bundle.pk)  # what reports.tasks runs when a worker takes the task

    download = page.get_by_role("link", name="ZIPをダウンロード")
    expect(download).to_be_visible(timeout=10_000)
    expect(page.locator("#bundle-status")).to_have_text("完成しました。修了証1件をZIPでダウンロードできます。")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "1")
    expect(page.get_by_role("link", name="状況を更新")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True  # updated in place, never reloaded
    page.screenshot(path=str(shots_dir / "hr-certificate-bundle-done.png"), full_page=True)
    assert our_violations(page, axe_js) == []

    icon = download.locator("svg").bounding_box()
    assert icon["width"] <= 24 and icon["height"] <= 24  # an icon beside the words, not over them
    with page.expect_download() as info:
        download.click()
    archive = zipfile.ZipFile(io.BytesIO(info.value.path().read_bytes()))
    assert archive.namelist() == ["000104_芦田 修了.pdf"]


def test_a_stopped_certificate_zip_is_shown_and_hr_builds_it_again(page, accounts, axe_js, shots_dir, settings):
    """The worker died: nothing moves for the stall time, the open page says so by itself and
    offers 「もう一度作成する」, which queues the build again."""
    from django.utils import timezone

    from reports.models import CertificateBundle

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.CERTIFICATE_BUNDLE_STALL_SECONDS = 60
    hr = _hr_and_records(accounts)

    log_in(page, hr, by="email")
    page.goto("/admin/hr-reports/certificates/")
    page.get_by_role("combobox", name="所属").select_option("3100")
    page.get_by_role("combobox", name="年度").select_option("2025")
    page.get_by_role("button", name="ZIPの作成を依頼する").click()
    expect(page.locator("#bundle-status")).to_have_text("作成の順番を待っています。")
    CertificateBundle.objects.update(
        status=CertificateBundle.Status.RUNNING, progress_at=timezone.now() - datetime.timedelta(minutes=2)
    )

    again = page.get_by_role("button", name="もう一度作成する")
    expect(again).to_be_visible(timeout=10_000)
    expect(page.locator("#bundle-status")).to_contain_text("作成が止まっています（0/1件のまま1分以上進んでいません）。")
    expect(page.get_by_role("link", name="状況を更新")).to_have_count(0)
    page.screenshot(path=str(shots_dir / "hr-certificate-bundle-stalled.png"), full_page=True)
    assert our_violations(page, axe_js) == []

    again.click()
    expect(page.locator("#bundle-status")).to_have_text("作成の順番を待っています。")
    expect(page.get_by_text("修了証のZIPをもう一度作成するよう依頼しました。")).to_be_visible()
    assert CertificateBundle.objects.get().status == CertificateBundle.Status.QUEUED
