"""In the browser: choose 芦屋市, log in with the directory account (a real slapd), land on my
page as the roster's person; a directory account on no roster is refused in Japanese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.ldap_server import SERVICE_DN, SERVICE_PASSWORD, USERS, USERS_OU, slapd_running

from .helpers import axe_violations, choose_municipality

BIND_ENV = "E2E_ASHIYA_LDAP_BIND_PASSWORD"


@pytest.fixture(scope="module")
def slapd():
    try:
        context = slapd_running()
        server = context.__enter__()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def directory(accounts, slapd, monkeypatch):
    """芦屋市's directory is the slapd; its employee 芦田 健 (000103) is `ashida.k` there."""
    from identity.models import DirectoryConfig
    from people.models import Municipality

    monkeypatch.setenv(BIND_ENV, SERVICE_PASSWORD)
    return DirectoryConfig.objects.create(
        municipality=Municipality.objects.get(code=accounts["ashiya"].code),
        server_uri=slapd.uri,
        bind_dn=SERVICE_DN,
        bind_password_env=BIND_ENV,
        user_search_base=USERS_OU,
        login_attribute="sAMAccountName",
        staff_number_attribute="employeeID",
        login_label="庁内パソコンのユーザー名",
        timeout_seconds=3,
    )


def _directory_form(page):
    return page.locator("form", has=page.locator('input[name="method"][value="directory"]'))


def test_choose_the_city_then_log_in_with_the_directory_account(page, accounts, directory, axe_js):
    account = accounts["ashiya"]
    page.goto("/accounts/login/")
    choose_municipality(page, account.code)

    expect(page.get_by_role("heading", name="庁内アカウントでログイン")).to_be_visible()
    expect(page.get_by_role("heading", name="職員番号とパスワードでログイン")).to_be_visible()
    assert axe_violations(page, axe_js) == []
    form = _directory_form(page)
    form.get_by_label("庁内パソコンのユーザー名").fill(USERS["ashida"].account)
    form.get_by_label("パスワード").fill(USERS["ashida"].password)
    form.get_by_role("button", name="庁内アカウントでログイン").click()

    page.wait_for_url("**/mypage/")
    expect(page.get_by_text(f"{account.name} さん")).to_be_visible()

    from identity.models import AccessEvent

    event = AccessEvent.objects.get(kind="login")
    assert event.method == "directory"
    assert event.subject.staff_profile.staff_number == account.staff_number


def test_a_directory_account_on_no_roster_is_refused_in_japanese(page, accounts, directory):
    from people.models import User

    users = User.objects.count()
    page.goto("/accounts/login/")
    choose_municipality(page, accounts["ashiya"].code)
    form = _directory_form(page)
    form.get_by_label("庁内パソコンのユーザー名").fill(USERS["stranger"].account)
    form.get_by_label("パスワード").fill(USERS["stranger"].password)
    form.get_by_role("button", name="庁内アカウントでログイン").click()

    expect(page.get_by_role("alert")).to_have_text(
        re.compile("このアカウントは芦屋市の職員名簿に登録されていないため、ログインできません。")
    )
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert User.objects.count() == users


def test_another_city_shows_only_its_own_methods(page, accounts, directory):
    page.goto("/accounts/login/")
    choose_municipality(page, accounts["sukagawa"].code)

    expect(page.get_by_text("須賀川市の職員の方のログインです。")).to_be_visible()
    expect(page.get_by_role("heading", name="庁内アカウントでログイン")).to_have_count(0)
    expect(page.get_by_role("heading", name="職員番号とパスワードでログイン")).to_be_visible()
