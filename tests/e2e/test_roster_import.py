"""HR imports a roster in the Wagtail admin: logs in through the real form, opens 「職員名簿の取込」
from the admin menu, uploads a file as Japanese Excel saves it (CP932, CRLF), reads the dry run,
commits, and sees the result; the database changes only at the commit."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from .conftest import hr_account
from .helpers import axe_violations, log_in


def test_hr_imports_a_cp932_roster_dry_run_then_commit(page, accounts, axe_js, shots_dir):
    from people.models import StaffMember

    hr = hr_account(accounts)
    employee = accounts["ashiya"]
    content = "\r\n".join(
        [
            "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職",
            "000201,髙橋 一郎,タカハシ イチロウ,3100,会計年度任用職員,令和8年4月1日,,1",
            f"{employee.staff_number},{employee.name},アシダ ケン,2100,一般職,2020/4/1,,1",
            "000900,人事 太郎,ジンジ タロウ,2100,一般職,2015-04-01,,1",
            "",
        ]
    ).encode("cp932")

    log_in(page, hr, by="email")
    page.goto("/admin/")
    page.get_by_role("link", name="職員名簿の取込").click()
    page.wait_for_url("**/admin/roster-import/")
    expect(page.get_by_role("heading", name="ファイルを選んで確認する")).to_be_visible()
    page.screenshot(path=str(shots_dir / "roster-import-upload.png"), full_page=True)

    page.get_by_label("職員名簿", exact=True).check()
    page.get_by_label(re.compile(r"^\s*CSVファイル")).set_input_files(
        {"name": "名簿.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="確認する（まだ取り込みません）").click()

    page.wait_for_url(re.compile(r"/admin/roster-import/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("取込前の確認"))).to_be_visible()
    expect(page.get_by_test_id("encoding")).to_have_text("Shift_JIS（CP932）")
    expect(page.get_by_role("heading", name="新規（1件）")).to_be_visible()
    expect(page.get_by_test_id("table-create")).to_contain_text("髙橋 一郎")
    expect(page.get_by_role("heading", name="異動（1件）")).to_be_visible()
    expect(page.get_by_test_id("table-transfer")).to_contain_text("広報課（3100） → 人事課（2100）")
    assert not StaffMember.objects.filter(staff_number="000201").exists()  # the dry run wrote nothing
    page.screenshot(path=str(shots_dir / "roster-import-dry-run.png"), full_page=True)
    assert axe_violations(page, axe_js) == []

    commit = page.get_by_role("button", name="取り込む")
    commit.click()
    page.wait_for_url(re.compile(r"/admin/roster-import/\d+/$"))
    expect(page.get_by_text("「名簿.csv」を取り込みました。")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("取込結果"))).to_be_visible()
    expect(page.get_by_role("button", name="取り込む")).to_have_count(0)
    page.screenshot(path=str(shots_dir / "roster-import-result.png"), full_page=True)

    created = StaffMember.objects.get(staff_number="000201", municipality__code=hr.code)
    assert (created.name, created.employment_type, created.start_date) == (
        "髙橋 一郎",
        "fiscal_year",
        datetime.date(2026, 4, 1),
    )
    moved = StaffMember.objects.get(staff_number=employee.staff_number, municipality__code=hr.code)
    assert moved.department.code == "2100"

    # The latest imports list it as committed.
    page.get_by_role("link", name="別のファイルをアップロードする").click()
    expect(page.get_by_role("table", name="最近の取込")).to_contain_text("取込済み")


def test_a_roster_with_bad_lines_lists_them_and_offers_them_as_csv(page, accounts, axe_js, shots_dir):
    hr = hr_account(accounts)
    content = "\r\n".join(
        [
            "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職",
            "000202,芦田 三郎,アシダ サブロウ,9999,一般職,2024/4/1,,1",
            "",
        ]
    ).encode("cp932")

    log_in(page, hr, by="email")
    page.goto("/admin/roster-import/")
    page.get_by_label("職員名簿", exact=True).check()
    page.get_by_label(re.compile(r"^\s*CSVファイル")).set_input_files(
        {"name": "名簿.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="確認する（まだ取り込みません）").click()

    page.wait_for_url(re.compile(r"/admin/roster-import/\d+/$"))
    expect(page.get_by_text("9999", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="取り込む")).to_have_count(0)
    download = page.get_by_role("link", name="エラーの一覧を CSV でダウンロード")
    expect(download).to_be_visible()
    icon = download.locator("svg").bounding_box()
    assert icon["width"] <= 24 and icon["height"] <= 24  # an icon beside the words, not over them
    page.screenshot(path=str(shots_dir / "roster-import-errors.png"), full_page=True)
    assert axe_violations(page, axe_js) == []

    with page.expect_download() as caught:
        download.click()
    rows = caught.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert rows[0] == "行,職員番号,理由"
    assert len(rows) == 2 and rows[1].startswith("2,000202,") and "9999" in rows[1]
