"""HR of 芦屋市 without a second factor: logs in, is sent to set up an authenticator app before the
admin, reads the secret off the page, enters the code it gives (RFC 6238, computed here), reaches
the admin; logs out, logs in again and must pass the code (decision 0025). Then ends an employee's
sessions from ログインの管理."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import hr_account, staff_account
from .helpers import axe_violations, log_in, pass_second_factor, totp_code_fresh


def test_hr_enrols_totp_on_the_way_to_the_admin_and_must_pass_it_next_time(page, accounts, axe_js, shots_dir, base_url):
    hr = hr_account(accounts)

    log_in(page, hr, second_factor=False)  # no authenticator yet: no MFA step
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.locator(".messages")).to_contain_text("二要素認証（認証アプリまたはパスキー）を設定してください")
    # The QR code is drawn on the server into the page (CSP: images from the site or data: only).
    qr = page.get_by_role("img").filter(has=page.locator("xpath=self::img[starts-with(@src, 'data:image/svg+xml')]"))
    expect(qr).to_have_count(1)
    assert axe_violations(page, axe_js) == []
    page.screenshot(path=str(shots_dir / "mfa-totp-setup.png"), full_page=True)
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    page.locator('input[name="code"]').fill("000000" if totp_code_fresh(secret) != "000000" else "111111")
    page.locator('form[action="/accounts/2fa/totp/activate/"] button[type="submit"]').click()
    expect(page.locator("body")).to_contain_text("コードが正しくないか、すでに使われたコードです。")

    page.locator('input[name="code"]').fill(totp_code_fresh(secret))
    page.locator('form[action="/accounts/2fa/totp/activate/"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.locator("body")).to_contain_text("人事 太郎")

    # Log out, log in again: the password alone is not enough.
    page.goto("/mypage/")
    page.get_by_role("button", name="ログアウト").click()
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("メールアドレス").fill(hr.email)
    page.get_by_label("パスワード").fill(hr.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert axe_violations(page, axe_js) == []
    page.screenshot(path=str(shots_dir / "mfa-authenticate.png"), full_page=True)
    pass_second_factor(page, secret)
    page.wait_for_url(re.compile(r"/admin/$"))

    # ログインの管理: end the employee's sessions (POST from the button).
    employee = accounts["ashiya"]
    other = page.context.browser.new_context(base_url=base_url, locale="ja-JP")
    try:
        elsewhere = other.new_page()
        log_in(elsewhere, employee)
        page.goto("/admin/identity_logins/")
        page.get_by_label("職員番号または氏名").fill(employee.staff_number)
        page.get_by_role("button", name="検索").click()
        page.get_by_role("link", name=employee.staff_number).click()
        page.get_by_role("button", name="すべてのセッションを終了する").click()
        expect(page.locator("body")).to_contain_text("セッションを 1 件終了しました")
        elsewhere.goto("/mypage/")
        elsewhere.wait_for_url(re.compile(r"/accounts/login/"))
    finally:
        other.close()


def _editor(accounts):
    """An editor of 芦屋市 (the editors' group of its guideline), without a second factor yet."""
    from courses.models import GuidelinePage
    from courses.services import editorial_setup
    from people.models import Department, StaffMember

    guideline = GuidelinePage.objects.get(municipality__code=accounts["ashiya"].code)
    editors, _approvers = editorial_setup(guideline=guideline)
    department = Department.objects.get(municipality=guideline.municipality, code="3100")
    account = staff_account(
        accounts,
        department=department,
        staff_number="000778",
        name="編集 一郎",
        email="editor2@ashiya.example.jp",
        role="employee",
    )
    StaffMember.objects.get(staff_number="000778", municipality=guideline.municipality).user.groups.add(editors)
    return account


def _virtual_authenticator(page, credentials=()):
    """Chromium's virtual authenticator (stands in for Windows Hello or a FIDO2 key) on this page,
    holding `credentials`. Chromium drops it when the page changes renderer process, so the test
    carries the credentials over to a new one."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator_id = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    for credential in credentials:
        cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator_id, "credential": credential})
    return cdp, authenticator_id


def test_an_editor_adds_a_passkey_cannot_remove_the_last_one_and_logs_in_with_it(page, accounts, axe_js):
    # localhost is a secure context, so WebAuthn runs over the live server's plain http.
    editor = _editor(accounts)
    log_in(page, editor, second_factor=False)
    page.goto("/admin/pages/")
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))

    page.goto("/accounts/2fa/webauthn/add/")
    cdp, authenticator_id = _virtual_authenticator(page)
    page.locator('input[name="name"]').fill("職場のPC")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1
    page.goto("/admin/pages/")
    page.wait_for_url(re.compile(r"/admin/pages/"))

    # The only second factor of an editor cannot be removed.
    page.goto("/accounts/2fa/webauthn/")
    assert axe_violations(page, axe_js) == []
    page.locator('a[href*="/remove/"]').first.click()
    page.locator('form[action*="/remove/"] button[type="submit"]').last.click()
    expect(page.locator("body")).to_contain_text("最後の認証手段は削除できません")
    expect(page.locator("body")).to_contain_text("職場のPC")

    page.goto("/mypage/")
    page.get_by_role("button", name="ログアウト").click()
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(editor.email)
    page.get_by_label("パスワード").fill(editor.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    _virtual_authenticator(page, credentials)
    page.get_by_role("button", name="セキュリティキーを使用する").click()
    page.wait_for_url("**/mypage/")
    page.goto("/admin/pages/")
    page.wait_for_url(re.compile(r"/admin/pages/"))
