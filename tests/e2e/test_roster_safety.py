"""Roster safety in the browser (issue 15): HR uploads a roster Excel has saved with 103 for
000103; the dry run shows a 警告 naming the registered person, 「取り込む」 is refused until HR
chooses, and with 「既存の職員（000103）の番号の誤りとして扱う」 the commit updates 000103 and creates
nobody. Axe on the dry-run page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import hr_account
from .helpers import axe_violations, log_in


def test_hr_resolves_a_zero_dropped_number_then_commits(page, accounts, axe_js, shots_dir):
    from people.models import StaffMember

    hr = hr_account(accounts)
    employee = accounts["ashiya"]
    assert employee.staff_number == "000103"
    content = "\r\n".join(
        [
            "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職",
            f"103,{employee.name},アシダ ケン,2100,一般職,2020/4/1,,1",  # Excel dropped the zeros
            "000900,人事 太郎,ジンジ タロウ,2100,一般職,2015-04-01,,1",
            "",
        ]
    ).encode("cp932")

    log_in(page, hr, by="email")
    page.goto("/admin/roster-import/")
    page.get_by_label("職員名簿", exact=True).check()
    page.get_by_label(re.compile(r"^\s*CSVファイル")).set_input_files(
        {"name": "名簿.csv", "mimeType": "text/csv", "buffer": content}
    )
    expect(page.get_by_label("この名簿にない職員を退職扱いにする")).not_to_be_checked()  # off by default
    page.get_by_role("button", name="確認する（まだ取り込みません）").click()

    page.wait_for_url(re.compile(r"/admin/roster-import/\d+/$"))
    warning = page.get_by_test_id("resembling")
    expect(warning.get_by_role("heading", name="警告：登録済みの職員に似ている行（1件）")).to_be_visible()
    expect(warning).to_contain_text("000103 芦田 健")
    expect(warning).to_contain_text("先頭の 0 が落ちた")
    expect(page.get_by_test_id("table-create")).to_contain_text("警告：既存の職員（000103）に似ています")
    page.screenshot(path=str(shots_dir / "roster-safety-warning.png"), full_page=True)
    assert axe_violations(page, axe_js) == []

    # Without a choice the commit is refused and nothing is written.
    with page.expect_navigation():  # the same URL again: wait for the new page, not the old one
        page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_text(re.compile("警告のある行が1件あります"))).to_be_visible()
    assert not StaffMember.objects.filter(staff_number="103").exists()

    page.get_by_label("既存の職員（000103）の番号の誤りとして扱う").check()
    with page.expect_navigation():
        page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_text("「名簿.csv」を取り込みました。")).to_be_visible()
    expect(page.get_by_test_id("resembling")).to_contain_text("選んだ扱い：既存の職員（000103）の番号の誤りとして扱う")
    page.screenshot(path=str(shots_dir / "roster-safety-result.png"), full_page=True)

    assert not StaffMember.objects.filter(staff_number="103").exists()
    person = StaffMember.objects.get(staff_number="000103", municipality__code=hr.code)
    assert (person.department.code, person.kana) == ("2100", "アシダ ケン")
