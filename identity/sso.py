"""Single sign-on through django-allauth, configured by `identity.SsoProvider` rows (issue 12).

Each enabled row becomes one allauth app whose provider id is the row's slug (OpenID Connect:
`/accounts/oidc/<slug>/…`; SAML: `/accounts/saml/<slug>/…`), built here on every look-up, so the
platform admin never edits allauth's SocialApp table. A social log-in only ever finds an existing,
active staff member of the row's municipality by the configured claim and connects the IdP account
to that person's user; anyone else is refused with a Japanese page and an access-log entry
(docs/decisions/0024-sso.md). Wired as SOCIALACCOUNT_ADAPTER.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from django.core.exceptions import MultipleObjectsReturned
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import AccessEvent, SsoProvider
from .services import access_event_record

OIDC = "openid_connect"
SAML = "saml"
PROVIDER_OF_PROTOCOL = {SsoProvider.Protocol.OIDC: OIDC, SsoProvider.Protocol.SAML: SAML}
METHOD_OF_PROTOCOL = {
    SsoProvider.Protocol.OIDC: AccessEvent.Method.OIDC,
    SsoProvider.Protocol.SAML: AccessEvent.Method.SAML,
}

REFUSED_NOT_FOUND = _(
    "シングルサインオンで確認できた方は、この自治体の職員名簿に在職中の職員として登録されていません。"
    "このサイトにはログインできませんでした。所属または人事課にお問い合わせください。"
)
REFUSED_NO_CLAIM = _(
    "シングルサインオンの応答に、職員を照合するための情報が含まれていませんでした。"
    "このサイトにはログインできませんでした。システム管理者にお問い合わせください。"
)
REFUSED_CONNECT = _("シングルサインオンのアカウントを、ご自分で連携することはできません。")


def client_secret_of(row: SsoProvider) -> str:
    """The OIDC client secret: from the environment variable the row names when it is set there,
    else the one stored through the admin."""
    if row.client_secret_env:
        value = os.environ.get(row.client_secret_env, "")
        if value:
            return value
    return row.client_secret


def pem_body(cert: str) -> str:
    """A certificate as python3-saml wants it: base64 only, whatever PEM armour was pasted."""
    lines = [line.strip() for line in cert.strip().splitlines()]
    return "".join(line for line in lines if line and not line.startswith("-----"))


def social_app_for(row: SsoProvider) -> SocialApp:
    """The (unsaved) allauth app of one SsoProvider row."""
    if row.protocol == SsoProvider.Protocol.OIDC:
        return SocialApp(
            provider=OIDC,
            provider_id=row.slug,
            name=row.label,
            client_id=row.client_id,
            secret=client_secret_of(row),
            settings={
                "server_url": row.issuer_url,
                "oauth_pkce_enabled": True,
                "fetch_userinfo": True,
                "uid_field": "sub",
            },
        )
    idp = {"entity_id": row.idp_entity_id}
    if row.idp_metadata_url and not row.idp_x509_cert:
        idp["metadata_url"] = row.idp_metadata_url
    else:
        idp.update(sso_url=row.idp_sso_url, x509cert=pem_body(row.idp_x509_cert))
    return SocialApp(
        provider=SAML,
        provider_id=row.slug,
        name=row.label,
        client_id=row.slug,  # allauth's SAML URLs name the app by client_id ("organization slug")
        settings={
            "idp": idp,
            # Keep the IdP's attributes as they come; the uid is the NameID.
            "attribute_mapping": {},
            "advanced": {
                "strict": True,
                "want_assertion_signed": True,
                "want_message_signed": False,
                "want_attribute_statement": False,
                "reject_deprecated_algorithm": True,
                "reject_idp_initiated_sso": True,
                "allow_single_label_domains": False,
            },
        },
    )


def claim_value(row: SsoProvider, sociallogin) -> str:
    """The value of the row's claim (OIDC: userinfo, else the ID token) or SAML attribute (its
    first value; "NameID" names the subject's NameID)."""
    extra = sociallogin.account.extra_data or {}
    claim = row.claim.strip()
    if row.protocol == SsoProvider.Protocol.SAML:
        if claim.lower() in {"nameid", "name_id"}:
            value = sociallogin.account.uid
        else:
            values = extra.get(claim) or []
            value = values[0] if isinstance(values, list | tuple) and values else values
    else:
        value = (extra.get("userinfo") or {}).get(claim)
        if value in (None, ""):
            value = (extra.get("id_token") or {}).get(claim)
    return str(value).strip() if value not in (None, "") else ""


def _refuse(request, *, row: SsoProvider, sociallogin, reason: str, value: str, message) -> None:
    access_event_record(
        kind=AccessEvent.Kind.LOGIN_FAILED,
        request=request,
        municipality_id=row.municipality_id,
        method=METHOD_OF_PROTOCOL[row.protocol],
        username=value,
        detail={"provider": row.slug, "reason": reason, "uid": str(sociallogin.account.uid)[:200]},
    )
    response = render(
        request,
        "identity/sso_refused.html",
        {"message": message, "municipality": row.municipality, "provider": row},
        status=403,
    )
    raise ImmediateHttpResponse(response)


class SsoSocialAccountAdapter(DefaultSocialAccountAdapter):
    """Apps from SsoProvider rows; matching against the roster, never signing anyone up."""

    def list_apps(self, request, provider=None, client_id=None):
        rows = SsoProvider.objects.filter(enabled=True).select_related("municipality")
        if provider in (OIDC, SAML):
            rows = rows.filter(protocol=SsoProvider.Protocol.OIDC if provider == OIDC else SsoProvider.Protocol.SAML)
        elif provider:
            rows = rows.filter(slug=provider)
        if client_id:
            rows = rows.filter(Q(protocol=SsoProvider.Protocol.SAML, slug=client_id) | Q(client_id=client_id))
        return [social_app_for(row) for row in rows]

    def get_provider(self, request, provider, client_id=None):
        try:
            return super().get_provider(request, provider, client_id=client_id)
        except MultipleObjectsReturned:
            # allauth keeps a social log-in waiting for its second factor as "openid_connect" with
            # the client id; two rows may share one IdP client (say, matched by 職員番号 and by
            # e-mail). The waiting log-in names its own row (the account's provider id): use it.
            slug = _pending_provider_id(request)
            if slug is None:
                raise
            return super().get_provider(request, slug)

    def is_auto_signup_allowed(self, request, sociallogin):
        return False

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        row = (
            SsoProvider.objects.filter(slug=sociallogin.account.provider, enabled=True)
            .select_related("municipality")
            .first()
        )
        if row is None:  # disabled between the redirect and the answer
            raise ImmediateHttpResponse(
                render(request, "identity/sso_refused.html", {"message": REFUSED_NOT_FOUND}, status=403)
            )
        if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            _refuse(request, row=row, sociallogin=sociallogin, reason="connect", value="", message=REFUSED_CONNECT)
        value = claim_value(row, sociallogin)
        if not value:
            _refuse(
                request, row=row, sociallogin=sociallogin, reason="claim_missing", value="", message=REFUSED_NO_CLAIM
            )
        match = selectors.sso_staff_match(provider=row, value=value)
        if match.staff is None:
            _refuse(
                request, row=row, sociallogin=sociallogin, reason=match.reason, value=value, message=REFUSED_NOT_FOUND
            )
        user = match.staff.user
        if sociallogin.is_existing:
            if sociallogin.user.pk != user.pk:
                # The IdP account was connected to someone whom the roster no longer names by this
                # claim (an address moved to another person): the roster decides, nobody is logged in.
                _refuse(
                    request,
                    row=row,
                    sociallogin=sociallogin,
                    reason="connected_to_other",
                    value=value,
                    message=REFUSED_NOT_FOUND,
                )
            return
        sociallogin.connect(request, user)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """A failed hand-shake (bad signature, wrong audience, IdP-initiated, cancelled, …) is a
        failed log-in of the provider's municipality."""
        slug = getattr(getattr(provider, "app", None), "provider_id", "") or ""
        row = SsoProvider.objects.filter(slug=slug).first()
        detail = {"provider": slug, "reason": str(error or "error")}
        if extra_context and extra_context.get("saml_errors"):
            detail["saml_errors"] = list(extra_context["saml_errors"])
            detail["saml_reason"] = str(extra_context.get("saml_last_error_reason") or "")[:500]
        if exception is not None:
            detail["exception"] = type(exception).__name__
        access_event_record(
            kind=AccessEvent.Kind.LOGIN_FAILED,
            request=request,
            municipality_id=row.municipality_id if row else None,
            method=METHOD_OF_PROTOCOL[row.protocol] if row else "",
            detail=detail,
        )


def form_action_origins() -> list[str]:
    """The origins the browser is sent on to when a log-in button is pressed (the enabled rows'
    IdPs), for the log-in pages' CSP form-action (a form's redirect must be allowed there too)."""
    origins = []
    for row in SsoProvider.objects.filter(enabled=True).only("issuer_url", "idp_sso_url", "idp_metadata_url"):
        for url in (row.issuer_url, row.idp_sso_url, row.idp_metadata_url):
            parts = urlsplit(url or "")
            if parts.scheme in ("http", "https") and parts.netloc:
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in origins:
                    origins.append(origin)
    return origins


def _pending_provider_id(request) -> str | None:
    """The provider id (SsoProvider slug) of the social log-in allauth keeps in the session while
    it waits for a later stage, such as the second factor (allauth's serialized Login: the social
    log-in is among its signal arguments)."""
    from allauth.account.internal.stagekit import LOGIN_SESSION_KEY

    session = getattr(request, "session", None) if request is not None else None
    data = session.get(LOGIN_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict):
        return None
    sociallogin = (data.get("signal_kwargs") or {}).get("sociallogin") or {}
    provider_id = (sociallogin.get("account") or {}).get("provider") if isinstance(sociallogin, dict) else None
    if isinstance(provider_id, str) and SsoProvider.objects.filter(slug=provider_id, enabled=True).exists():
        return provider_id
    return None
