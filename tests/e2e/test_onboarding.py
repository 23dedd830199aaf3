"""A new municipality without a developer, end to end (decision 0038): the platform admin adds 北杜市
in the Wagtail admin with its guideline file (a bad file first: refused in Japanese, nothing made),
downloads the first HR person's letter; that person sets a password from the letter, sets up the
second factor, and sees an empty HR dashboard of only their city. Axe on the new admin page."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.factories import guideline_fixture

from .conftest import staff_account
from .helpers import axe_violations, log_in, totp_activate

CODE_RE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")
NEW_PASSWORD = "Hokuto-hajimete-2026"


def _fixture(tmp_path, **change):
    data = guideline_fixture(
        code="192104",
        name="北杜市",
        slug="hokuto",
        guideline_slug="hokuto-sns-guideline",
        title="北杜市職員SNS利用ガイドライン",
        chapter_title="目的",
        body="北杜市の職員がSNSを利用する際の指針を定める。",
    )
    data.update(change)
    path = tmp_path / "hokuto.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def onboarding_form_open(page, accounts) -> None:
    """The platform admin (a superuser with a second factor, made here) logs in and goes
    自治体 → 追加 to the onboarding form (decision 0038)."""
    from people.models import Department, User

    koho = Department.objects.get(municipality__code=accounts["ashiya"].code, code="3100")
    admin = staff_account(
        accounts, department=koho, staff_number="000001", name="基盤 管理", email="platform@example.jp", role="employee"
    )
    User.objects.filter(email=admin.email).update(is_superuser=True, is_staff=True)
    log_in(page, admin)
    page.goto("/admin/municipalities/")
    page.locator('a[href="/admin/municipalities/new/"]').first.click()
    page.wait_for_url("**/admin/municipalities/new/")
    expect(page.get_by_role("heading", name="自治体の追加")).to_be_visible()


def test_the_platform_admin_onboards_a_city_and_its_first_hr_person_starts_from_the_letter(
    page, browser, accounts, axe_js, shots_dir, tmp_path
):
    from courses.models import GuidelinePage
    from identity.models import SetupCode
    from people.models import Municipality
    from tests.factories import TrainingCycleFactory

    # 芦屋市 has a cycle under way: the new city's HR must not see it.
    TrainingCycleFactory(guideline=GuidelinePage.objects.get(municipality__code=accounts["ashiya"].code))

    onboarding_form_open(page, accounts)
    assert axe_violations(page, axe_js) == []
    page.screenshot(path=str(shots_dir / "onboarding-form.png"), full_page=True)

    page.get_by_label("団体コード").fill("192104")
    page.get_by_label("自治体名").fill("北杜市")
    page.get_by_label("スラッグ").fill("hokuto")
    page.get_by_label("人事担当の所属コード").fill("2100")
    page.get_by_label("人事担当の職員番号").fill("000001")
    page.get_by_label("人事担当の氏名").fill("北杜 はじめ")
    page.get_by_label("人事担当のカナ").fill("ホクト ハジメ")
    # A file that claims another city's 団体コード: refused, nothing made.
    bad = _fixture(tmp_path, municipality={"code": "999999", "name": "偽市", "slug": "fake"})
    page.get_by_label("ガイドラインのファイル（任意）").set_input_files(str(bad))
    page.get_by_role("button", name="自治体を追加する").click()
    expect(page.get_by_role("alert")).to_contain_text("自治体を追加できませんでした（何も作成していません）")
    expect(page.get_by_role("alert")).to_contain_text(
        "ファイルの団体コード（999999）が入力した団体コード（192104）と一致しません。"
    )
    assert not Municipality.objects.filter(code="192104").exists()
    assert axe_violations(page, axe_js) == []
    page.screenshot(path=str(shots_dir / "onboarding-refused.png"), full_page=True)

    page.get_by_label("ガイドラインのファイル（任意）").set_input_files(str(_fixture(tmp_path)))
    # Generous: the import and the PDF share two cores with other test runs here.
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="自治体を追加する").click(no_wait_after=True)
    letter = re.sub(r"\s+", "", PdfReader(info.value.path()).pages[0].extract_text())
    assert "北杜はじめ" in letter and "000001" in letter and "北杜市" in letter
    [code] = CODE_RE.findall(letter)
    page.goto("/admin/municipalities/")
    expect(page.locator(".messages")).to_contain_text("北杜市 を追加しました")
    expect(page.get_by_role("table")).to_contain_text("192104")

    # The first HR person, in a browser of their own: the letter's setup page, a password, log-in.
    context = browser.new_context(base_url=page.url.split("/admin/")[0], locale="ja-JP", timezone_id="Asia/Tokyo")
    own = context.new_page()
    own.goto("/accounts/setup/?municipality=192104&staff_number=000001")
    own.get_by_label("設定コード").fill(code)
    own.get_by_label("新しいパスワード（必須）", exact=True).fill(NEW_PASSWORD)
    own.get_by_label("新しいパスワード（確認）").fill(NEW_PASSWORD)
    own.get_by_role("button", name="パスワードを設定する").click()
    own.wait_for_url("**/accounts/login/?municipality=192104")
    form = own.locator("form", has=own.locator('input[name="method"][value="password"]'))
    form.get_by_label("職員番号").fill("000001")
    form.get_by_label("パスワード").fill(NEW_PASSWORD)
    form.get_by_role("button", name="職員番号でログイン").click()
    own.wait_for_url("**/mypage/")
    assert SetupCode.objects.get(staff__municipality__code="192104").used_at is not None

    # HR is privileged: the second factor first (decision 0025), then the dashboard.
    totp_activate(own, "/admin/hr-reports/dashboard/")
    own.goto("/admin/hr-reports/dashboard/")
    own.wait_for_url(re.compile(r"/admin/hr-reports/dashboard/"))
    body = own.locator("main")
    expect(body).to_contain_text("研修サイクルはまだありません")  # 芦屋市's open cycle is not theirs
    for other in ("芦屋市", "須賀川市", "芦田 健", "須賀 光"):
        expect(body).not_to_contain_text(other)
    assert axe_violations(own, axe_js) == []
    own.screenshot(path=str(shots_dir / "onboarding-hr-dashboard.png"), full_page=True)
    own.goto("/staff/")
    expect(own.locator("main")).to_contain_text("北杜 はじめ")
    for other in ("芦田 健", "須賀 光", "基盤 管理"):
        expect(own.locator("main")).not_to_contain_text(other)
    # Their guideline is on the site, imported from the file (the course page lists it by title).
    own.goto("/hokuto-sns-guideline/")
    expect(own.locator("main")).to_contain_text("北杜市職員SNS利用ガイドライン")
    context.close()
