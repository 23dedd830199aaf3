"""The second factor (allauth.mfa) for privileged accounts: who must have one, the middleware that
sends them to set it up or pass it before any admin or HR page, the adapter that refuses removing
the last one, and the access-log entries for enrolment, removal and failures (decision 0025).

Wired in settings: MFA_ADAPTER, MIDDLEWARE (SecondFactorMiddleware) and IdentityConfig.ready
(the signal receivers)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from people import scoping

# The kinds that are a second factor by themselves; recovery codes only stand in for them.
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def requires_second_factor(user) -> bool:
    """The one rule of who must have a second factor: platform admins, HR, and anyone who may open
    the Wagtail admin (editors and approvers through a group with page permissions)."""
    viewer = scoping.viewer_of(user)
    if not viewer.authenticated:
        return False
    if viewer.platform_admin or viewer.is_hr:
        return True
    return user.has_perm("wagtailadmin.access_admin")


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()


def passed_second_factor(request) -> bool:
    """Whether this session's log-in passed a second factor (allauth's MFA stage or
    reauthentication, a passkey, or an enrolment just completed: each records method "mfa")."""
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def logged_in_recently(request) -> bool:
    """Whether this session's user logged in (by any method) within ACCOUNT_REAUTHENTICATION_TIMEOUT
    seconds: that log-in is as fresh a proof as allauth's reauthentication, so adding or removing
    an authenticator then does not ask again (people.adapters.AccountAdapter)."""
    from allauth.account import app_settings as account_settings

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    return bool(records) and time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT


class MFAAdapter(DefaultMFAAdapter):
    """Japanese messages of our own where allauth's would mislead, and the rule that a privileged
    user keeps at least one second factor."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        # A code reused within its window fails exactly like a wrong one (allauth marks used codes).
        "incorrect_code": _(
            "コードが正しくないか、すでに使われたコードです。認証アプリに次のコードが表示されてから入力してください。"
        ),
        "cannot_delete_authenticator": _(
            "この役割では二要素認証が必須のため、最後の認証手段は削除できません。"
            "先に別の認証手段（認証アプリまたはパスキー）を登録してください。"
        ),
    }

    def get_totp_issuer(self) -> str:
        return settings.MFA_TOTP_ISSUER or settings.WAGTAIL_SITE_NAME

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in FACTOR_TYPES or not requires_second_factor(authenticator.user):
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=FACTOR_TYPES)
        return others.exclude(pk=authenticator.pk).exists()


def _redirect_with_next(url_name: str, request) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")


class SecondFactorMiddleware:
    """Before any page under settings.MFA_REQUIRED_PATH_PREFIXES (the admin and the HR pages), a
    user who must have a second factor is sent to set one up (none yet) or to pass it (this
    session's log-in did not). Wired after AuthenticationMiddleware and allauth's middleware."""

    # The admin's own log-in and log-out stay open: a person must be able to leave.
    EXEMPT_URL_NAMES = frozenset({"wagtailadmin_login", "wagtailadmin_logout"})

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.MFA_REQUIRED_PATH_PREFIXES)

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.url_name == "mfa_remove_webauthn" and request.method == "POST":
            return self._refuse_last_passkey(request, view_kwargs)
        if not request.path.startswith(self.prefixes):
            return None
        if match is not None and match.url_name in self.EXEMPT_URL_NAMES:
            return None
        # The session flag first: a user who passed the second factor costs no query here.
        if passed_second_factor(request) or not requires_second_factor(user):
            return None
        if not has_second_factor(user):
            messages.warning(
                request,
                gettext("管理画面や人事の画面を使う前に、二要素認証（認証アプリまたはパスキー）を設定してください。"),
            )
            return _redirect_with_next("mfa_activate_totp", request)
        messages.info(request, gettext("続けるには二要素認証のコードを入力してください。"))
        return _redirect_with_next("mfa_reauthenticate", request)

    def _refuse_last_passkey(self, request, view_kwargs):
        """allauth asks the adapter before removing a TOTP authenticator, not a passkey: ask it here."""
        authenticator = Authenticator.objects.filter(
            pk=view_kwargs.get("pk"), user_id=request.user.pk, type=Authenticator.Type.WEBAUTHN
        ).first()
        if authenticator is None or MFAAdapter().can_delete_authenticator(authenticator):
            return None
        messages.error(request, MFAAdapter.error_messages["cannot_delete_authenticator"])
        return HttpResponseRedirect(reverse("mfa_list_webauthn"))


# --- access log (connected in IdentityConfig.ready) ----------------------------------------------


def _record(kind: str, request, user, authenticator, **detail):
    from .services import access_event_record

    access_event_record(
        kind=kind,
        request=request,
        actor=getattr(request, "user", None) if request is not None else None,
        subject=user,
        detail={"type": getattr(authenticator, "type", ""), **detail},
    )


def on_authenticator_added(sender, request, user, authenticator, **kwargs):
    from .models import AccessEvent

    _record(AccessEvent.Kind.MFA_ENROLLED, request, user, authenticator)
    if request is not None and authenticator.type in FACTOR_TYPES and request.user.pk == user.pk:
        # Entering a valid code from the new authenticator (or touching the new key) proves it is
        # at hand: this session counts as having passed the second factor.
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True)


def on_authenticator_removed(sender, request, user, authenticator, **kwargs):
    from .models import AccessEvent

    _record(AccessEvent.Kind.MFA_REMOVED, request, authenticator.user if authenticator else user, authenticator)


def on_authentication_failed(sender, request, user, authenticator, **kwargs):
    from .models import AccessEvent

    _record(
        AccessEvent.Kind.MFA_FAILED,
        request,
        user,
        authenticator,
        reauthentication=bool(kwargs.get("reauthentication", False)),
    )


def connect_receivers():
    from allauth.mfa import signals

    signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="identity_mfa_added")
    signals.authenticator_removed.connect(on_authenticator_removed, dispatch_uid="identity_mfa_removed")
    signals.authentication_failed.connect(on_authentication_failed, dispatch_uid="identity_mfa_failed")
    user_logged_in.connect(track_session_on_login, dispatch_uid="identity_track_session")


def track_session_on_login(sender, request, user, **kwargs):
    """A log-in that does not go through allauth (Django's login() called directly) still lists
    its session, so HR's revocation ends it too. allauth's own log-ins are listed by
    allauth.usersessions; listing the same session twice updates one row."""
    from allauth.usersessions.models import UserSession

    from people.adapters import client_ip

    if request is None or getattr(request, "session", None) is None or client_ip(request) is None:
        return
    UserSession.objects.create_from_request(request, user=user)
