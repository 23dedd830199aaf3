"""Single sign-on against real identity providers running as their own processes: allauth's
OpenID Connect provider in a second Django project, and a pysaml2 SAML IdP (tests/identity/idp).

The site side runs in the Django test client; the IdP side is driven over HTTP with `requests`,
as a browser would, until the IdP sends the browser back to our callback or ACS.
"""

from __future__ import annotations

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from identity.models import AccessEvent, SsoProvider
from people import services as people
from people.models import User
from tests.factories import DepartmentFactory, StaffMemberFactory

from .conftest import EVIL_SP, OIDC_MAIL_SLUG, OIDC_SLUG, SAML_SLUG, SITE, saml_attributes, saml_module
from .idp.processes import IDP_PASSWORD

pytestmark = pytest.mark.django_db

REFUSED = "この自治体の職員名簿に在職中の職員として登録されていません"


# --- the roster and the providers -------------------------------------------------------------


@pytest.fixture
def roster(ashiya, sukagawa):
    dept = DepartmentFactory(municipality=ashiya)
    tanaka = StaffMemberFactory(municipality=ashiya, department=dept, staff_number="000103", name="田中 一郎")
    mailonly = StaffMemberFactory(municipality=ashiya, department=dept, staff_number="000104", name="メール 花子")
    retired = StaffMemberFactory(municipality=ashiya, department=dept, staff_number="000150", name="退職 次郎")
    people.staff_deactivate(staff=retired, on=datetime.date(2026, 3, 31))
    suka = StaffMemberFactory(
        municipality=sukagawa, department=DepartmentFactory(municipality=sukagawa), staff_number="004003"
    )
    return {"tanaka": tanaka, "mailonly": mailonly, "retired": retired, "suka": suka}


@pytest.fixture
def oidc_rows(ashiya, oidc_idp):
    common = {
        "municipality": ashiya,
        "protocol": SsoProvider.Protocol.OIDC,
        "issuer_url": oidc_idp.base_url,
        "client_id": oidc_idp.client_id,
        "client_secret_env": "SNS_TEST_OIDC_SECRET",
    }
    by_number = SsoProvider.objects.create(
        slug=OIDC_SLUG, label="庁内アカウントでログイン", match_by="staff_number", claim="employee_id", **common
    )
    by_mail = SsoProvider.objects.create(
        slug=OIDC_MAIL_SLUG, label="メールでログイン", match_by="email", claim="email", **common
    )
    return by_number, by_mail


@pytest.fixture(autouse=True)
def _oidc_secret_in_env(monkeypatch, request):
    # The secret comes from the environment variable the row names, not the database.
    if "oidc_idp" in request.fixturenames:
        monkeypatch.setenv("SNS_TEST_OIDC_SECRET", request.getfixturevalue("oidc_idp").client_secret)


@pytest.fixture
def saml_row(ashiya, saml_idp):
    return SsoProvider.objects.create(
        municipality=ashiya,
        protocol=SsoProvider.Protocol.SAML,
        slug=SAML_SLUG,
        label="ADFSでログイン",
        idp_entity_id=saml_idp.extra["entity_id"],
        idp_sso_url=saml_idp.extra["sso_url"],
        idp_x509_cert=saml_idp.cert_pem,
        match_by="staff_number",
        claim="employee_id",
    )


# --- driving the flows ------------------------------------------------------------------------


def _form_fields(page: str) -> dict:
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }


def oidc_log_in(client, idp, slug: str, username: str):
    """Press the button, sign in at the IdP, come back to our callback: our final response."""
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": slug}), {"process": "login"})
    assert start.status_code == 302 and start["Location"].startswith(idp.base_url), start
    browser = requests.Session()
    page = browser.get(start["Location"], timeout=10)  # → the IdP's log-in form
    assert "/accounts/login/" in page.url, page.url
    csrf = _form_fields(page.text)["csrfmiddlewaretoken"]
    answer = browser.post(
        page.url,
        data={"login": username, "password": IDP_PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    location = answer.headers["Location"]
    while not location.startswith(SITE):  # the IdP's own redirects, back to /authorize and on
        location = requests.compat.urljoin(answer.url, location)
        if location.startswith(SITE):
            break
        answer = browser.get(location, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        location = answer.headers["Location"]
    callback = urlsplit(location)
    assert callback.path == f"/accounts/oidc/{slug}/login/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def saml_request_at_idp(client, slug: str):
    """Press the SAML button and open the IdP's log-in form: (requests session, form fields)."""
    start = client.post(reverse("saml_login", kwargs={"organization_slug": slug}), {"process": "login"})
    assert start.status_code == 302, start
    browser = requests.Session()
    page = browser.get(start["Location"], timeout=10)
    assert page.status_code == 200, page.text
    return browser, _form_fields(page.text)


def saml_post_to_acs(client, slug: str, saml_response_b64: str, relay_state: str = ""):
    """The browser's auto-posted form to our ACS, then allauth's redirect to finish the log-in."""
    data = {"SAMLResponse": saml_response_b64}
    if relay_state:
        data["RelayState"] = relay_state
    acs = client.post(reverse("saml_acs", kwargs={"organization_slug": slug}), data)
    assert acs.status_code == 302, acs
    return client.get(acs["Location"])


def saml_log_in(client, idp, slug: str, username: str):
    browser, fields = saml_request_at_idp(client, slug)
    answer = browser.post(
        f"{idp.base_url}/sso/login", data={**fields, "username": username, "password": IDP_PASSWORD}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    form = _form_fields(answer.text)
    return saml_post_to_acs(client, slug, form["SAMLResponse"], form.get("RelayState", ""))


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def counts():
    return User.objects.count(), SocialAccount.objects.count()


def assert_refused(response, *, before, method: str, reason: str, text: str = REFUSED):
    assert response.status_code == 403
    assert text in response.content.decode()
    assert counts() == before, "a refused log-in created a user or a social account"
    event = AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN_FAILED).latest("pk")
    assert event.method == method
    assert event.detail["reason"] == reason, event.detail
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN).exists()


# --- configuration ----------------------------------------------------------------------------


def test_each_row_is_its_own_provider_and_the_secret_comes_from_the_environment(rf, oidc_rows, saml_row, oidc_idp):
    from allauth.socialaccount.adapter import get_adapter

    adapter = get_adapter(rf.get("/"))
    app = adapter.get_app(rf.get("/"), provider=OIDC_SLUG)
    assert (app.provider, app.provider_id, app.client_id) == ("openid_connect", OIDC_SLUG, oidc_idp.client_id)
    assert app.secret == oidc_idp.client_secret and oidc_rows[0].client_secret == ""
    saml = adapter.get_app(rf.get("/"), provider="saml", client_id=SAML_SLUG)
    assert saml.provider_id == SAML_SLUG
    assert saml.settings["advanced"]["want_assertion_signed"] is True
    assert saml.settings["advanced"]["reject_idp_initiated_sso"] is True
    assert saml.settings["advanced"]["strict"] is True
    # A disabled row is no provider at all: its log-in URL answers 404.
    SsoProvider.objects.filter(slug=OIDC_MAIL_SLUG).update(enabled=False)
    assert [a.provider_id for a in adapter.list_apps(rf.get("/"), provider="openid_connect")] == [OIDC_SLUG]


def test_login_page_shows_each_municipalitys_buttons_as_csrf_posts(client, oidc_rows, saml_row, oidc_idp, saml_idp):
    # The log-in page shows a municipality's methods once the 自治体 is chosen.
    assert "芦屋市のシングルサインオン" not in client.get(reverse("account_login")).content.decode()
    page = client.get(reverse("account_login"), {"municipality": oidc_rows[0].municipality.code})
    body = page.content.decode()
    assert "芦屋市のシングルサインオン" in body
    for row in (*oidc_rows, saml_row):
        assert row.label in body
    assert 'action="/accounts/oidc/ashiya-oidc/login/"' in body
    assert 'action="/accounts/saml/ashiya-saml/login/"' in body
    assert body.count("csrfmiddlewaretoken") >= 4
    # The forms may go on to the IdPs (CSP form-action), and to nowhere else.
    csp = page["Content-Security-Policy"]
    form_action = next(d for d in csp.split("; ") if d.startswith("form-action"))
    assert sorted(form_action.split()[1:]) == sorted(["'self'", oidc_idp.base_url, saml_idp.base_url])


def test_provider_login_url_does_nothing_on_get(client, oidc_rows):
    response = client.get(reverse("openid_connect_login", kwargs={"provider_id": OIDC_SLUG}))
    assert response.status_code == 200  # a confirmation page with a POST form, no redirect
    assert '<form method="post"' in response.content.decode()


# --- OpenID Connect ---------------------------------------------------------------------------


def test_oidc_matched_by_staff_number_logs_in_as_the_existing_user(client, roster, oidc_rows, oidc_idp):
    users_before = User.objects.count()
    response = oidc_log_in(client, oidc_idp, OIDC_SLUG, "tanaka")
    assert response.status_code == 302 and response["Location"] == reverse("courses:mypage")
    tanaka = roster["tanaka"]
    assert logged_in_user_id(client) == str(tanaka.user_id)
    assert User.objects.count() == users_before
    account = SocialAccount.objects.get(provider=OIDC_SLUG)
    assert account.user_id == tanaka.user_id
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.LOGIN)
    assert (event.method, event.subject_id, event.municipality_id) == ("oidc", tanaka.user_id, tanaka.municipality_id)
    assert event.ip_address == "127.0.0.1"
    # The next log-in finds the connection and creates nothing more.
    client.logout()
    again = oidc_log_in(client, oidc_idp, OIDC_SLUG, "tanaka")
    assert again.status_code == 302 and logged_in_user_id(client) == str(tanaka.user_id)
    assert SocialAccount.objects.count() == 1
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN, method="oidc").count() == 2


def test_oidc_matched_by_email(client, roster, oidc_rows, oidc_idp):
    response = oidc_log_in(client, oidc_idp, OIDC_MAIL_SLUG, "mailonly")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(roster["mailonly"].user_id)
    assert SocialAccount.objects.get(provider=OIDC_MAIL_SLUG).user_id == roster["mailonly"].user_id


def test_oidc_person_not_on_the_roster_is_refused(client, roster, oidc_rows, oidc_idp):
    before = counts()
    response = oidc_log_in(client, oidc_idp, OIDC_SLUG, "stranger")
    assert logged_in_user_id(client) is None
    assert_refused(response, before=before, method="oidc", reason="not_on_roster")
    assert AccessEvent.objects.get(kind="login_failed").username == "999999"


def test_oidc_person_of_another_municipality_is_refused(client, roster, oidc_rows, oidc_idp):
    before = counts()
    response = oidc_log_in(client, oidc_idp, OIDC_SLUG, "suka")  # 須賀川市's 004003 through 芦屋市's IdP
    assert logged_in_user_id(client) is None
    assert_refused(response, before=before, method="oidc", reason="other_municipality")
    assert AccessEvent.objects.get(kind="login_failed").municipality_id == oidc_rows[0].municipality_id


def test_oidc_inactive_person_is_refused_even_when_connected_before(client, roster, oidc_rows, oidc_idp):
    before = counts()
    response = oidc_log_in(client, oidc_idp, OIDC_SLUG, "retired")
    assert logged_in_user_id(client) is None
    assert_refused(response, before=before, method="oidc", reason="inactive")
    # Connected while in post, then left: the old connection opens nothing.
    tanaka = roster["tanaka"]
    assert oidc_log_in(client, oidc_idp, OIDC_SLUG, "tanaka").status_code == 302
    client.logout()
    people.staff_deactivate(staff=tanaka, on=datetime.date(2026, 3, 31))
    AccessEvent.objects.all().delete()
    before = counts()
    response = oidc_log_in(client, oidc_idp, OIDC_SLUG, "tanaka")
    assert logged_in_user_id(client) is None
    assert_refused(response, before=before, method="oidc", reason="inactive")


def test_oidc_missing_claim_is_refused_with_its_own_message(client, roster, oidc_rows, oidc_idp):
    before = counts()
    response = oidc_log_in(client, oidc_idp, OIDC_SLUG, "mailonly")  # no employee_id claim
    assert_refused(
        response,
        before=before,
        method="oidc",
        reason="claim_missing",
        text="職員を照合するための情報が含まれていませんでした",
    )


def test_no_signup_page_is_reachable(client, oidc_rows):
    # allauth's "finish signing up" page has no pending social log-in to finish: back to log-in.
    response = client.get(reverse("socialaccount_signup"))
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert User.objects.count() == 0


def test_connecting_an_idp_account_by_hand_is_refused(client, roster, oidc_rows, oidc_idp):
    client.force_login(roster["mailonly"].user)
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": OIDC_SLUG}), {"process": "connect"})
    assert start.status_code == 302
    # Finish it at the IdP as someone else (tanaka): nothing may get connected to mailonly.
    browser = requests.Session()
    page = browser.get(start["Location"], timeout=10)
    csrf = _form_fields(page.text)["csrfmiddlewaretoken"]
    answer = browser.post(
        page.url,
        data={"login": "tanaka", "password": IDP_PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": page.url},
        timeout=10,
        allow_redirects=False,
    )
    location = requests.compat.urljoin(answer.url, answer.headers["Location"])
    while not location.startswith(SITE):
        answer = browser.get(location, allow_redirects=False, timeout=10)
        location = requests.compat.urljoin(answer.url, answer.headers["Location"])
    callback = urlsplit(location)
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 403
    assert "ご自分で連携することはできません" in response.content.decode()
    assert SocialAccount.objects.count() == 0
    assert AccessEvent.objects.get(kind="login_failed").detail["reason"] == "connect"


# --- SAML 2.0 ---------------------------------------------------------------------------------


def test_saml_matched_by_staff_number(client, roster, saml_row, saml_idp):
    response = saml_log_in(client, saml_idp, SAML_SLUG, "tanaka")
    assert response.status_code == 302 and response["Location"] == reverse("courses:mypage")
    tanaka = roster["tanaka"]
    assert logged_in_user_id(client) == str(tanaka.user_id)
    assert SocialAccount.objects.get(provider=SAML_SLUG).user_id == tanaka.user_id
    assert AccessEvent.objects.get(kind=AccessEvent.Kind.LOGIN).method == "saml"


def test_saml_configured_by_metadata_url_only(client, roster, saml_row, saml_idp):
    # The IdP's published metadata (its SSO URL and signing certificate), fetched by the site.
    saml_row.idp_sso_url = ""
    saml_row.idp_x509_cert = ""
    saml_row.idp_metadata_url = f"{saml_idp.base_url}/metadata"
    saml_row.save()
    response = saml_log_in(client, saml_idp, SAML_SLUG, "tanaka")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(roster["tanaka"].user_id)


def test_saml_matched_by_email_attribute(client, roster, saml_row, saml_idp):
    saml_row.match_by = "email"
    saml_row.claim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    saml_row.save()
    response = saml_log_in(client, saml_idp, SAML_SLUG, "mailonly")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(roster["mailonly"].user_id)


@pytest.mark.parametrize(
    ("username", "reason"), [("stranger", "not_on_roster"), ("suka", "other_municipality"), ("retired", "inactive")]
)
def test_saml_person_not_in_post_here_is_refused(client, roster, saml_row, saml_idp, username, reason):
    before = counts()
    response = saml_log_in(client, saml_idp, SAML_SLUG, username)
    assert logged_in_user_id(client) is None
    assert_refused(response, before=before, method="saml", reason=reason)


def _idp_in_process(saml_idp):
    """The same IdP (same key and certificate) in this process, for answers it would not send."""
    config = saml_idp.extra["config"]
    module = saml_module()
    server = module.idp_server(
        base_url=config["base_url"], key_file=config["key_file"], cert_file=config["cert_file"], sps=config["sps"]
    )
    return module, server


def _tanaka():
    from .conftest import IDP_PEOPLE

    return {"username": "tanaka", "attributes": saml_attributes(IDP_PEOPLE["tanaka"])}


def _b64(xml: str) -> str:
    import base64

    return base64.b64encode(xml.encode()).decode()


def _assert_saml_refused(client, response, before):
    assert response.status_code == 401
    assert "シングルサインオンの応答を確認できなかった" in response.content.decode()
    assert logged_in_user_id(client) is None
    assert counts() == before
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.LOGIN_FAILED)
    assert event.method == "saml" and event.detail["provider"] == SAML_SLUG
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN).exists()
    return event


def test_saml_idp_initiated_is_refused(client, roster, saml_row, saml_idp):
    module, server = _idp_in_process(saml_idp)
    acs = f"{SITE}/accounts/saml/{SAML_SLUG}/acs/"
    xml = module.authn_response(
        server,
        in_response_to=None,
        acs_url=acs,
        sp_entity_id=f"{SITE}/accounts/saml/{SAML_SLUG}/metadata/",
        user=_tanaka(),
    )
    before = counts()
    response = saml_post_to_acs(client, SAML_SLUG, _b64(xml), relay_state="/mypage/")
    _assert_saml_refused(client, response, before)


def test_saml_unsigned_assertion_is_refused(client, roster, saml_row, saml_idp):
    module, server = _idp_in_process(saml_idp)
    _browser, fields = saml_request_at_idp(client, SAML_SLUG)
    xml = module.authn_response(
        server,
        in_response_to=fields["request_id"],
        acs_url=fields["acs"],
        sp_entity_id=fields["sp"],
        user=_tanaka(),
        sign_assertion=False,
    )
    assert "Signature" not in xml
    before = counts()
    event = _assert_saml_refused(client, saml_post_to_acs(client, SAML_SLUG, _b64(xml)), before)
    assert "Signature" in event.detail["saml_reason"] or "signed" in event.detail["saml_reason"]


def test_saml_assertion_for_another_audience_is_refused(client, roster, saml_row, saml_idp):
    module, server = _idp_in_process(saml_idp)
    _browser, fields = saml_request_at_idp(client, SAML_SLUG)
    # Signed by the right IdP, in answer to our request, but meant for another service provider.
    xml = module.authn_response(
        server, in_response_to=fields["request_id"], acs_url=fields["acs"], sp_entity_id=EVIL_SP, user=_tanaka()
    )
    assert EVIL_SP in xml
    before = counts()
    event = _assert_saml_refused(client, saml_post_to_acs(client, SAML_SLUG, _b64(xml)), before)
    assert "audience" in event.detail["saml_reason"].lower()


def test_saml_response_replayed_is_refused(client, roster, saml_row, saml_idp):
    browser, fields = saml_request_at_idp(client, SAML_SLUG)
    answer = browser.post(
        f"{saml_idp.base_url}/sso/login", data={**fields, "username": "tanaka", "password": IDP_PASSWORD}, timeout=10
    )
    saml_response = _form_fields(answer.text)["SAMLResponse"]
    assert saml_post_to_acs(client, SAML_SLUG, saml_response).status_code == 302
    client.logout()
    before = counts()
    replay = saml_post_to_acs(client, SAML_SLUG, saml_response)
    assert replay.status_code == 403
    assert logged_in_user_id(client) is None
    assert counts() == before
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN).count() == 1
    failed = AccessEvent.objects.get(kind=AccessEvent.Kind.LOGIN_FAILED)
    assert (failed.method, failed.detail["reason"]) == ("saml", "state_missing")


def test_saml_metadata_names_our_acs(client, saml_row):
    response = client.get(reverse("saml_metadata", kwargs={"organization_slug": SAML_SLUG}))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"{SITE}/accounts/saml/{SAML_SLUG}/acs/" in body
    assert f'entityID="{SITE}/accounts/saml/{SAML_SLUG}/metadata/"' in body


def test_query_of_the_idp_request_is_a_real_authn_request(client, saml_row, saml_idp):
    start = client.post(reverse("saml_login", kwargs={"organization_slug": SAML_SLUG}), {"process": "login"})
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(saml_idp.extra["sso_url"])
    assert "SAMLRequest" in query
