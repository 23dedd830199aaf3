"""HR reads the access log in the Wagtail admin: failed log-ins made through the real form of both
cities, HR logs in, opens アクセス記録 from the Reports menu, narrows it to ログイン失敗 with
Wagtail's filters (the list refreshes in place), opens an entry and downloads the CSV, which holds
their own city's entries only."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from .conftest import hr_account
from .helpers import axe_violations, choose_municipality, log_in

# Wagtail's own filter toggle (see tests/e2e/test_hr_reports.py): not this page's markup.
WAGTAIL_FILTER_TOGGLE = ("label-content-name-mismatch", (".w-slim-header-action-button",))


def _fail_log_in(page, *, code: str | None, login: str) -> None:
    page.goto("/accounts/login/")
    if code:
        choose_municipality(page, code)
        form = page.locator("form", has=page.locator('input[name="method"][value="password"]'))
        form.get_by_label("職員番号").fill(login)
        form.get_by_label("パスワード").fill("wrong-Passw0rd")
        form.get_by_role("button", name="職員番号でログイン").click()
    else:
        page.get_by_label("メールアドレス").fill(login)
        page.get_by_label("パスワード").fill("wrong-Passw0rd")
        page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_text("ログインできませんでした。入力内容をご確認ください。")).to_be_visible()


def test_hr_filters_the_access_log_and_downloads_the_csv(page, accounts, axe_js, shots_dir):
    ashiya, sukagawa = accounts["ashiya"], accounts["sukagawa"]
    hr = hr_account(accounts)
    _fail_log_in(page, code=None, login=ashiya.email)
    _fail_log_in(page, code=sukagawa.code, login=sukagawa.staff_number)

    log_in(page, hr, by="email")
    page.goto("/admin/")
    page.get_by_role("button", name="レポート").click()
    page.get_by_role("link", name="アクセス記録").click()
    page.wait_for_url("**/admin/access-log/")
    results = page.locator("#listing-results")
    expect(results).to_contain_text(ashiya.email)
    expect(results).to_contain_text(f"{hr.name}（{hr.staff_number}）")  # HR's own log-in
    expect(results).not_to_contain_text(sukagawa.staff_number)  # 須賀川市's failure is not 芦屋市 HR's

    page.get_by_role("button", name="絞り込みを表示").click()
    page.get_by_role("button", name="種類").click()
    page.get_by_role("checkbox", name="ログイン失敗").check()
    page.wait_for_url(re.compile(r"kind=login_failed"))
    expect(results.get_by_role("row")).to_have_count(2)  # the header and the one failure
    expect(results).not_to_contain_text(f"{hr.name}（{hr.staff_number}）")
    page.keyboard.press("Escape")
    # The filter panel fades out: let it finish, or axe reads its half-transparent labels as low contrast.
    expect(page.locator("#drilldown-id_kind")).to_be_hidden()
    for _ in range(50):  # (wait_for_function would evaluate a string, which the CSP refuses)
        if page.evaluate("document.getAnimations().every(a => a.playState !== 'running')"):
            break
        page.wait_for_timeout(100)
    page.screenshot(path=str(shots_dir / "hr-access-log.png"), full_page=True)
    violations = [v for v in axe_violations(page, axe_js) if (v["id"], tuple(v["targets"])) != WAGTAIL_FILTER_TOGGLE]
    assert violations == []

    page.get_by_role("button", name="操作").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="CSVでダウンロード（UTF-8）").click()
    download = info.value
    assert re.fullmatch(r"access-log-\d{8}\.csv", download.suggested_filename)
    text = download.path().read_bytes().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["日時", "種類", "方法"]
    assert [(row[1], row[2], row[3], row[8]) for row in rows] == [
        ("ログイン失敗", "パスワード", "芦屋市", ashiya.email)
    ]
    assert ashiya.name in rows[0][6]  # the account the failure was against

    results.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/admin/access-log/\d+/$"))
    expect(page.locator("#access-event")).to_contain_text(ashiya.email)
    assert axe_violations(page, axe_js) == []
