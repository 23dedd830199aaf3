"""Single sign-on in Chromium: an employee of 芦屋市 presses their city's button on the log-in page,
signs in at the real identity provider (allauth's OIDC provider in its own Django process, or the
pysaml2 SAML IdP in its own process) and lands on their own page, matched by 職員番号; someone the
IdP knows but the roster does not is refused with the Japanese message and nothing is created."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import axe_violations, choose_municipality
from tests.identity.idp.processes import IDP_PASSWORD, oidc_idp_start, saml_idp_start

OIDC_SLUG, SAML_SLUG = "ashiya-entra", "ashiya-adfs"
IDP_USERS = {
    "ashida": {"email": "employee@ashiya.example.jp", "employee_id": "000103"},  # 芦田 健, on the roster
    "nobody": {"email": "nobody@example.com", "employee_id": "999999"},  # on no roster
}


@pytest.fixture(scope="module")
def idps(live_server, tmp_path_factory):
    site = live_server.url
    oidc = oidc_idp_start(
        tmp_path_factory.mktemp("e2e-oidc-idp"),
        redirect_uris=[f"{site}/accounts/oidc/{OIDC_SLUG}/login/callback/"],
        users=[{"username": name, **person} for name, person in IDP_USERS.items()],
    )
    try:
        saml = saml_idp_start(
            tmp_path_factory.mktemp("e2e-saml-idp"),
            sps=[
                {
                    "entity_id": f"{site}/accounts/saml/{SAML_SLUG}/metadata/",
                    "acs_url": f"{site}/accounts/saml/{SAML_SLUG}/acs/",
                }
            ],
            users=[
                {"username": name, "attributes": {"employee_id": [person["employee_id"]]}}
                for name, person in IDP_USERS.items()
            ],
        )
    except Exception:
        oidc.stop()
        raise
    yield {"oidc": oidc, "saml": saml}
    oidc.stop()
    saml.stop()


@pytest.fixture
def sso_rows(accounts, idps, monkeypatch):
    from identity.models import SsoProvider
    from people.models import Municipality

    ashiya = Municipality.objects.get(code=accounts["ashiya"].code)
    monkeypatch.setenv("SNS_E2E_OIDC_SECRET", idps["oidc"].client_secret)
    SsoProvider.objects.create(
        municipality=ashiya,
        protocol=SsoProvider.Protocol.OIDC,
        slug=OIDC_SLUG,
        label="庁内アカウント（Entra ID）でログイン",
        issuer_url=idps["oidc"].base_url,
        client_id=idps["oidc"].client_id,
        client_secret_env="SNS_E2E_OIDC_SECRET",
        match_by="staff_number",
        claim="employee_id",
    )
    SsoProvider.objects.create(
        municipality=ashiya,
        protocol=SsoProvider.Protocol.SAML,
        slug=SAML_SLUG,
        label="庁内アカウント（ADFS）でログイン",
        idp_entity_id=idps["saml"].extra["entity_id"],
        idp_sso_url=idps["saml"].extra["sso_url"],
        idp_x509_cert=idps["saml"].cert_pem,
        match_by="staff_number",
        claim="employee_id",
    )
    return accounts


def _press(page, label: str) -> None:
    page.goto("/accounts/login/")
    choose_municipality(page, "282065")
    expect(page.get_by_role("heading", name="芦屋市のシングルサインオン")).to_be_visible()
    page.get_by_role("button", name=label).click()


def _sign_in_at_oidc_idp(page, idp, username: str) -> None:
    page.wait_for_url(re.compile("^" + re.escape(idp.base_url) + "/accounts/login/"))
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(IDP_PASSWORD)
    page.locator("#id_password").press("Enter")


def _sign_in_at_saml_idp(page, idp, username: str) -> None:
    page.wait_for_url(re.compile("^" + re.escape(idp.base_url) + "/sso/redirect"))
    page.locator("#idp-username").fill(username)
    page.locator("#idp-password").fill(IDP_PASSWORD)
    page.locator("#idp-submit").click()


def _events():
    from identity.models import AccessEvent

    return list(AccessEvent.objects.order_by("pk").values_list("kind", "method"))


def test_employee_logs_in_through_the_oidc_idp_process(page, sso_rows, idps):
    _press(page, "庁内アカウント（Entra ID）でログイン")
    _sign_in_at_oidc_idp(page, idps["oidc"], "ashida")
    page.wait_for_url("**/mypage/")
    expect(page.get_by_text(sso_rows["ashiya"].name).first).to_be_visible()
    assert ("login", "oidc") in _events()


def test_employee_logs_in_through_the_saml_idp_process(page, sso_rows, idps):
    _press(page, "庁内アカウント（ADFS）でログイン")
    _sign_in_at_saml_idp(page, idps["saml"], "ashida")
    page.wait_for_url("**/mypage/")
    expect(page.get_by_text(sso_rows["ashiya"].name).first).to_be_visible()
    assert ("login", "saml") in _events()


def test_sso_buttons_and_refusal_page_pass_axe(page, sso_rows, idps, axe_js):
    page.goto("/accounts/login/")
    choose_municipality(page, "282065")
    found = {"log-in with SSO buttons": axe_violations(page, axe_js)}
    page.get_by_role("button", name="庁内アカウント（Entra ID）でログイン").click()
    _sign_in_at_oidc_idp(page, idps["oidc"], "nobody")
    expect(page.locator("#sso-refused")).to_be_visible()
    found["SSO refused"] = axe_violations(page, axe_js)
    assert found == {"log-in with SSO buttons": [], "SSO refused": []}, found


def test_person_not_on_the_roster_is_refused_in_japanese(page, sso_rows, idps):
    from allauth.socialaccount.models import SocialAccount

    from people.models import User

    users = User.objects.count()
    _press(page, "庁内アカウント（Entra ID）でログイン")
    _sign_in_at_oidc_idp(page, idps["oidc"], "nobody")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログインできませんでした")
    expect(page.locator("#sso-refused")).to_contain_text("職員名簿に在職中の職員として登録されていません")
    assert User.objects.count() == users and SocialAccount.objects.count() == 0
    assert _events() == [("login_failed", "oidc")]
