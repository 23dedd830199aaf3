"""Personal data in the browser (decision 0040): HR of 芦屋市 exports one person's disclosure ZIP
on a written request, an employee downloads their own from my page, and HR erases a retired person
through the confirmation screen, who can no longer log in. axe-core on every new page."""

from __future__ import annotations

import io
import zipfile

from playwright.sync_api import expect

from .conftest import hr_account
from .helpers import axe_violations, log_in
from .test_accessibility import _report


def _zip_of(download) -> zipfile.ZipFile:
    with open(download.path(), "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_disclosure_and_erasure(page, accounts, axe_js):
    from people import services as people
    from people.models import StaffMember

    employee = accounts["ashiya"]
    hr = hr_account(accounts)
    found: dict[str, list[dict]] = {}

    # The employee downloads their own data from my page.
    log_in(page, employee)
    page.get_by_role("link", name="自分の個人情報をダウンロードする（本人開示）").click()
    page.wait_for_url("**/privacy/disclosure/")
    found[page.url] = axe_violations(page, axe_js)
    with page.expect_download() as info:
        page.get_by_role("button", name="ZIPファイルをダウンロード").click()
    archive = _zip_of(info.value)
    assert "01_profile.csv" in archive.namelist()
    assert employee.email in archive.read("01_profile.csv").decode("utf-8-sig")
    page.context.clear_cookies()

    # HR exports the employee's data on a written request.
    log_in(page, hr)
    page.goto("/admin/personal-data/")
    found[page.url] = axe_violations(page, axe_js)
    page.get_by_label("職員番号または氏名").fill(employee.staff_number)
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=employee.staff_number).click()
    expect(page.get_by_label("開示請求の内容（受付番号・受付日など）")).to_be_visible()  # the page is there
    found[page.url] = axe_violations(page, axe_js)
    page.get_by_label("開示請求の内容（受付番号・受付日など）").fill("開示請求 第1号")
    with page.expect_download() as info:
        page.get_by_role("button", name="開示ファイルを作成する").click()
    archive = _zip_of(info.value)
    assert archive.read("00_summary.pdf").startswith(b"%PDF")
    assert employee.staff_number in archive.read("01_profile.csv").decode("utf-8-sig")

    # The employee retires; HR erases their personal data after the confirmation screen.
    member = StaffMember.objects.get(municipality__code=employee.code, staff_number=employee.staff_number)
    people.staff_deactivate(staff=member)
    page.reload()
    page.get_by_role("link", name="個人情報の消去へ進む").click()
    found[page.url] = axe_violations(page, axe_js)
    expect(page.get_by_role("heading", name="残すもの")).to_be_visible()
    page.get_by_label("確認のため、この職員の職員番号を入力してください").fill(employee.staff_number)
    page.get_by_role("button", name="個人情報を消去する").click()
    expect(page.get_by_text("の個人情報を消去しました")).to_be_visible()
    member.refresh_from_db()
    assert member.name == "（消去済み）"

    # The retention periods page.
    page.goto("/admin/personal-data/")
    page.get_by_role("link", name="芦屋市の保存期間").click()
    found[page.url] = axe_violations(page, axe_js)
    page.get_by_label("修了記録の保存年数").fill("7")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("保存期間を変更しました。")).to_be_visible()

    assert not any(found.values()), _report(found)

    # The erased person cannot log in any more.
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(employee.email)
    page.get_by_label("パスワード").fill(employee.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert "/mypage/" not in page.url
