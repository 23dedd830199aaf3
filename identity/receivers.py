"""Signal receivers of the identity app (connected in IdentityConfig.ready): Django's and allauth's
authentication signals become access-log entries (`identity.services.access_event_record`).

- `user_logged_in` (Django's: allauth, the Wagtail admin, SSO and any `login()` send it): a log-in,
  with the method the log-in noted (`identity.services.login_method_note`, default password);
- `user_login_failed` (Django's `authenticate()` when no backend accepts): the name as typed and
  the municipality its `<団体コード>-<職員番号>` names;
- `user_logged_out`, and allauth's `password_reset`, `password_changed`, `password_set`;
- allauth's `pre_social_login`: notes `oidc` or `saml` as the method of the log-in to come.

The lock-out (allauth's rate limit refusing a log-in) has no signal: people.adapters.AccountAdapter
`pre_authenticate` calls `record_locked_out` below."""

from __future__ import annotations

from allauth.account import signals as account_signals
from allauth.socialaccount.signals import pre_social_login
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from people.models import Municipality

from .models import AccessEvent
from .services import access_event_record, login_method_note, login_method_take, login_note_take

Kind = AccessEvent.Kind


def typed_username(credentials: dict) -> str:
    """What the person typed as their log-in name (allauth passes `username` or `email`)."""
    for key in ("username", "email", "login"):
        value = credentials.get(key)
        if value:
            return str(value)[:150]
    return ""


def municipality_id_of_username(username: str) -> int | None:
    """The municipality a log-in name `<団体コード>-<職員番号>` names (None for an e-mail address or
    an unknown code). One query, on failures only."""
    code, sep, rest = username.partition("-")
    if not sep or not rest or not code.isascii() or not code.isdigit() or len(code) > 6:
        return None
    return Municipality.objects.filter(code=code).values_list("pk", flat=True).first()


def _account_of(username: str):
    """The account a typed name belongs to, if any (by username, else by a unique e-mail)."""
    User = get_user_model()
    if "@" in username:
        users = list(User.objects.filter(email__iexact=username)[:2])
        return users[0] if len(users) == 1 else None
    return User.objects.filter(username=username.lower()).select_related("staff_profile").first()


@receiver(user_logged_in, dispatch_uid="identity.login")
def record_login(sender, request, user, **kwargs):
    method = login_method_take(request=request)
    note = login_note_take(request=request)
    access_event_record(
        kind=Kind.LOGIN,
        request=request,
        actor=user,
        subject=user,
        method=method,
        username=note.get("username") or user.get_username(),
        detail=note.get("detail") or None,
    )


@receiver(user_login_failed, dispatch_uid="identity.login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs):
    if getattr(request, "identity_login_form", False):
        return  # the log-in form records its failures itself, with the reason (identity/forms.py)
    username = typed_username(credentials)
    account = _account_of(username) if username else None
    municipality_id = municipality_id_of_username(username)
    access_event_record(
        kind=Kind.LOGIN_FAILED,
        request=request,
        subject=account,
        municipality_id=municipality_id,
        # The attempt is over: its note must not name the method of a later log-in.
        method=login_method_take(request=request),
        username=username,
    )


def record_locked_out(*, request, credentials: dict) -> None:
    """allauth refused a log-in attempt because of too many failures (called by the adapter)."""
    if getattr(request, "identity_login_form", False):
        return  # recorded by the log-in form (identity/forms.py)
    username = typed_username(credentials)
    access_event_record(
        kind=Kind.LOCKED_OUT,
        request=request,
        subject=_account_of(username) if username else None,
        municipality_id=municipality_id_of_username(username),
        method=login_method_take(request=request),
        username=username,
    )


@receiver(user_logged_out, dispatch_uid="identity.logout")
def record_logout(sender, request, user, **kwargs):
    if user is None:
        return  # logging out without being logged in
    access_event_record(kind=Kind.LOGOUT, request=request, actor=user, subject=user, username=user.get_username())


@receiver(account_signals.password_reset, dispatch_uid="identity.password_reset")
def record_password_reset(sender, request, user, **kwargs):
    access_event_record(kind=Kind.PASSWORD_RESET, request=request, subject=user, username=user.get_username())


@receiver(account_signals.password_changed, dispatch_uid="identity.password_changed")
def record_password_changed(sender, request, user, **kwargs):
    access_event_record(
        kind=Kind.PASSWORD_CHANGED, request=request, actor=user, subject=user, username=user.get_username()
    )


@receiver(account_signals.password_set, dispatch_uid="identity.password_set")
def record_password_set(sender, request, user, **kwargs):
    access_event_record(
        kind=Kind.PASSWORD_CHANGED,
        request=request,
        actor=user,
        subject=user,
        username=user.get_username(),
        detail={"action": "set"},
    )


@receiver(pre_social_login, dispatch_uid="identity.social_method")
def note_social_method(sender, request, sociallogin, **kwargs):
    """A social log-in's method from its provider, unless the SSO code noted one already."""
    from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
    from allauth.socialaccount.providers.saml.provider import SAMLProvider

    from .services import LOGIN_METHOD_SESSION_KEY

    if getattr(request, "session", {}).get(LOGIN_METHOD_SESSION_KEY):
        return
    provider = getattr(sociallogin, "provider", None)
    if provider is None and getattr(sociallogin, "account", None) is not None:
        provider = sociallogin.account.get_provider(request)
    if isinstance(provider, SAMLProvider):
        login_method_note(request=request, method=AccessEvent.Method.SAML)
    elif isinstance(provider, OpenIDConnectProvider):
        login_method_note(request=request, method=AccessEvent.Method.OIDC)
