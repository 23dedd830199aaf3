"""axe-core on every page an employee sees: the log-in form, my page, the course and each chapter."""

from __future__ import annotations

import pytest

from .helpers import axe_violations, log_in


def _report(found: dict[str, list[dict]]) -> str:
    lines = []
    for url, violations in found.items():
        for v in violations:
            lines.append(f"{url}: {v['id']} ({v['impact']}) {v['help']} -> {', '.join(v['targets'])}")
    return "axe-core violations:\n" + "\n".join(lines)


@pytest.mark.parametrize("city, by", [("ashiya", "email"), ("sukagawa", "staff_number")])
def test_axe_reports_no_violations(page, accounts, axe_js, city, by):
    account = accounts[city]
    found: dict[str, list[dict]] = {}

    page.goto("/accounts/login/")
    found["/accounts/login/"] = axe_violations(page, axe_js)

    log_in(page, account, by=by)
    urls = ["/mypage/", account.guideline_url] + [account.chapter_url(c["key"]) for c in account.guideline["chapters"]]
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        found[url] = axe_violations(page, axe_js)

    assert not any(found.values()), _report(found)


def test_axe_reports_no_violations_on_the_log_in_form_with_errors(page, accounts, axe_js):
    found: dict[str, list[dict]] = {}
    page.goto("/accounts/login/")

    # A wrong password: one generic message for the whole form.
    page.get_by_label("メールアドレス").fill(accounts["ashiya"].email)
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_role("alert").wait_for()
    found["log-in, wrong password"] = axe_violations(page, axe_js)

    # A 職員番号 without the municipality: the error sits on the field.
    page.get_by_label("メールアドレス").fill(accounts["sukagawa"].staff_number)
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.locator(".field--error").first.wait_for()
    found["log-in, no municipality"] = axe_violations(page, axe_js)

    assert not any(found.values()), _report(found)
