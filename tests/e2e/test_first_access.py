"""First access without a mailbox, end to end: HR issues a letter in the Wagtail admin and downloads
the PDF; the code is read from the PDF's text; the employee opens the setup page from the log-in
page, sets a password, logs in with 自治体 + 職員番号 and reaches my page."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import hr_account
from .helpers import axe_violations, log_in

NEW_PASSWORD = "hajimete-no-pass-2026"
CODE_RE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def test_hr_issues_a_letter_and_the_employee_sets_a_password_from_it(page, browser, accounts, axe_js, shots_dir):
    from identity.models import AccessEvent, SetupCode
    from people import services as people
    from people.models import Department

    hr = hr_account(accounts)
    koho = Department.objects.get(municipality__code=hr.code, code="3100")
    person = people.staff_create(
        municipality=koho.municipality,
        staff_number="000777",
        name="芦原 はじめ",
        department=koho,
        start_date=datetime.date(2026, 4, 1),
        employment_type="fiscal_year",
    )
    assert not person.user.has_usable_password() and not person.user.email

    # HR: admin menu → the list → this person's action → confirmation → the PDF.
    log_in(page, hr, by="email")
    page.goto("/admin/")
    page.get_by_role("link", name="初回ログイン用の通知書").click()
    page.wait_for_url("**/admin/setup-letters/")
    page.get_by_label("所属").select_option(label="広報課（3100）")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.get_by_role("table")).to_contain_text("芦原 はじめ")
    assert axe_violations(page, axe_js) == []
    page.screenshot(path=str(shots_dir / "letters-index.png"), full_page=True)
    page.get_by_role("link", name="芦原 はじめに初回ログイン用の通知書を発行").click()
    page.wait_for_url(re.compile(r"/admin/setup-letters/confirm/\?staff=\d+"))
    expect(page.get_by_text("この人たちに以前発行した設定コードは、発行した時点で使えなくなります。")).to_be_visible()
    assert not SetupCode.objects.exists()
    page.screenshot(path=str(shots_dir / "letters-confirm.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="発行してPDFをダウンロード").click()
    download = info.value
    assert download.suggested_filename.startswith("setup-letters-") and download.suggested_filename.endswith(".pdf")
    reader = PdfReader(download.path())
    assert len(reader.pages) == 1
    letter = re.sub(r"\s+", "", reader.pages[0].extract_text())
    assert "芦原はじめ" in letter and "000777" in letter and "芦屋市" in letter
    [code] = CODE_RE.findall(letter)
    assert AccessEvent.objects.filter(kind="setup_code_issued", subject=person.user).count() == 1

    # The employee, in a browser of their own: log-in page → 初めてログインする方 → the setup page.
    context = browser.new_context(base_url=page.url.split("/admin/")[0], locale="ja-JP", timezone_id="Asia/Tokyo")
    own = context.new_page()
    own.goto("/accounts/login/")
    own.get_by_role("link", name="初めてログインする方（設定コードをお持ちの方）").click()
    own.wait_for_url("**/accounts/setup/")
    expect(own.get_by_role("heading", name="初めてログインする方（パスワードの設定）")).to_be_visible()
    assert axe_violations(own, axe_js) == []

    own.get_by_label("自治体").select_option(label="芦屋市")
    own.get_by_label("職員番号").fill("000777")
    own.get_by_label("設定コード").fill(code.lower())  # typed as read, case does not matter
    own.get_by_label("新しいパスワード（必須）", exact=True).fill(NEW_PASSWORD)
    own.get_by_label("新しいパスワード（確認）").fill(NEW_PASSWORD + "x")
    own.get_by_role("button", name="パスワードを設定する").click()
    expect(own.get_by_text("確認用のパスワードが一致しません。")).to_be_visible()
    assert axe_violations(own, axe_js) == []  # the page with its errors, too
    own.screenshot(path=str(shots_dir / "setup-errors.png"), full_page=True)

    own.get_by_label("新しいパスワード（必須）", exact=True).fill(NEW_PASSWORD)
    own.get_by_label("新しいパスワード（確認）").fill(NEW_PASSWORD)
    own.get_by_label("設定コード").fill(code)
    own.get_by_role("button", name="パスワードを設定する").click()
    own.wait_for_url(f"**/accounts/login/?municipality={hr.code}")
    expect(own.get_by_text("パスワードを設定しました。")).to_be_visible()

    form = own.locator("form", has=own.locator('input[name="method"][value="password"]'))
    form.get_by_label("職員番号").fill("000777")
    form.get_by_label("パスワード").fill(NEW_PASSWORD)
    form.get_by_role("button", name="職員番号でログイン").click()
    own.wait_for_url("**/mypage/")
    expect(own.get_by_text("芦原 はじめ").first).to_be_visible()
    assert SetupCode.objects.get(staff=person).used_at is not None

    # The same code a second time: the generic refusal, nothing changed.
    own.goto("/accounts/setup/?municipality=282065&staff_number=000777")
    own.get_by_label("設定コード").fill(code)
    own.get_by_label("新しいパスワード（必須）", exact=True).fill("sonota-no-pass-2026")
    own.get_by_label("新しいパスワード（確認）").fill("sonota-no-pass-2026")
    own.get_by_role("button", name="パスワードを設定する").click()
    expect(own.get_by_role("alert")).to_contain_text("初回設定コードを確認できませんでした。")
    person.user.refresh_from_db()
    assert person.user.check_password(NEW_PASSWORD)
    context.close()


def test_the_forgotten_password_page_tells_staff_without_mail_whom_to_ask(page, accounts, axe_js, shots_dir):
    from identity.models import LoginPolicy
    from people.models import Municipality

    sukagawa = Municipality.objects.get(code=accounts["sukagawa"].code)
    LoginPolicy.objects.create(municipality=sukagawa, no_mailbox_contact="人材育成課 研修係\n内線 2345")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="パスワードを忘れた方").click()
    page.get_by_label("自治体", exact=True).select_option(label="須賀川市")
    page.get_by_role("button", name="問い合わせ先を表示").click()
    contact = page.get_by_role("status").filter(has_text="須賀川市の問い合わせ先")
    expect(contact).to_contain_text("人材育成課 研修係")
    expect(contact).to_contain_text("内線 2345")
    assert axe_violations(page, axe_js) == []
    page.screenshot(path=str(shots_dir / "password-reset-contact.png"), full_page=True)
