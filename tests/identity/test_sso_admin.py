"""The platform admin's screen for SSO providers (設定 › シングルサインオン設定): superusers only, the
client secret write-only, each protocol's required fields checked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from identity.models import SsoProvider
from people.models import StaffMember
from tests.factories import StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-from-entra-portal"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _oidc_form(municipality, **overrides) -> dict:
    data = {
        "municipality": municipality.pk,
        "protocol": "oidc",
        "slug": "ashiya-entra",
        "label": "庁内アカウント（Entra ID）でログイン",
        "enabled": "on",
        "issuer_url": "https://login.microsoftonline.com/tenant-id/v2.0",
        "client_id": "client-123",
        "client_secret_env": "",
        "client_secret": SECRET,
        "idp_entity_id": "",
        "idp_sso_url": "",
        "idp_x509_cert": "",
        "idp_metadata_url": "",
        "match_by": "staff_number",
        "claim": "employee_id",
    }
    return {**data, **overrides}


def test_platform_admin_adds_a_provider_and_the_secret_is_never_shown_again(admin_client, ashiya):
    response = admin_client.post(reverse("sso_providers:add"), _oidc_form(ashiya))
    assert response.status_code == 302, response.content.decode()[:2000]
    row = SsoProvider.objects.get(slug="ashiya-entra")
    assert row.client_secret == SECRET
    edit = admin_client.get(reverse("sso_providers:edit", args=[row.pk]))
    assert edit.status_code == 200
    assert SECRET not in edit.content.decode()
    # Saved again with the secret left blank: the stored one stays.
    response = admin_client.post(
        reverse("sso_providers:edit", args=[row.pk]), _oidc_form(ashiya, client_secret="", label="新しい表示名")
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.label, row.client_secret) == ("新しい表示名", SECRET)
    # And it can be removed on purpose (the environment variable then holds it).
    admin_client.post(
        reverse("sso_providers:edit", args=[row.pk]),
        _oidc_form(ashiya, client_secret="", client_secret_env="ASHIYA_ENTRA_SECRET", clear_client_secret="on"),
    )
    row.refresh_from_db()
    assert (row.client_secret, row.client_secret_env) == ("", "ASHIYA_ENTRA_SECRET")


def test_each_protocol_needs_its_own_fields(admin_client, ashiya):
    response = admin_client.post(reverse("sso_providers:add"), _oidc_form(ashiya, issuer_url="", client_id=""))
    assert response.status_code == 200
    assert "OpenID Connect では必須です。" in response.content.decode()
    saml = _oidc_form(ashiya, protocol="saml", issuer_url="", client_id="", client_secret="")
    response = admin_client.post(reverse("sso_providers:add"), saml)
    assert "SAML では必須です。" in response.content.decode()
    assert not SsoProvider.objects.exists()
    bad_cert = {**saml, "idp_entity_id": "https://adfs.example/adfs/services/trust", "idp_x509_cert": "not a cert"}
    response = admin_client.post(reverse("sso_providers:add"), bad_cert)
    assert "証明書を読み取れません" in response.content.decode()
    response = admin_client.post(reverse("sso_providers:add"), _oidc_form(ashiya, slug="saml"))
    assert "この識別子は使えません。" in response.content.decode()


def test_a_saml_provider_with_a_pem_certificate_is_saved(admin_client, ashiya, tmp_path):
    from .idp.keys import make_keypair

    _key, _cert, pem = make_keypair(tmp_path, "adfs")
    data = _oidc_form(
        ashiya,
        protocol="saml",
        slug="ashiya-adfs",
        issuer_url="",
        client_id="",
        client_secret="",
        idp_entity_id="http://adfs.city.example.lg.jp/adfs/services/trust",
        idp_sso_url="https://adfs.city.example.lg.jp/adfs/ls/",
        idp_x509_cert=pem,
    )
    response = admin_client.post(reverse("sso_providers:add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SsoProvider.objects.get(slug="ashiya-adfs").idp_x509_cert.startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("role", [StaffMember.Role.HR, StaffMember.Role.EMPLOYEE])
def test_nobody_but_the_platform_admin_opens_it(client, ashiya, role):
    hr = StaffMemberFactory(municipality=ashiya, role=role)
    row = SsoProvider.objects.create(
        municipality=ashiya, protocol="oidc", slug="x", label="x", issuer_url="https://idp.example.jp", client_id="c"
    )
    client.force_login(hr.user)
    for url in (
        reverse("sso_providers:index"),
        reverse("sso_providers:add"),
        reverse("sso_providers:edit", args=[row.pk]),
    ):
        assert client.get(url).status_code in (302, 403, 404), url
    assert client.post(reverse("sso_providers:edit", args=[row.pk]), {"label": "hacked"}).status_code in (302, 403, 404)
    row.refresh_from_db()
    assert row.label == "x"
