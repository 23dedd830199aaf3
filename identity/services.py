"""Writes of the identity app. `access_event_record` is the one way an access-log entry is
written (issue 12: who, when, from which address, by which method)."""

from __future__ import annotations

from people.adapters import client_ip

from .models import AccessEvent


def _municipality_id_of(user) -> int | None:
    staff = getattr(user, "staff_profile", None) if user is not None else None
    return getattr(staff, "municipality_id", None)


def access_event_record(
    *,
    kind: str,
    request=None,
    actor=None,
    subject=None,
    municipality_id: int | None = None,
    method: str = "",
    username: str = "",
    detail: dict | None = None,
) -> AccessEvent:
    """Log one access event. The municipality is the subject's, else the actor's, unless given;
    the address is the client's as `people.adapters.client_ip` reads it (trusted proxies only)."""
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    if municipality_id is None:
        municipality_id = _municipality_id_of(subject) or _municipality_id_of(actor)
    return AccessEvent.objects.create(
        kind=kind,
        method=method,
        municipality_id=municipality_id,
        actor=actor,
        subject=subject,
        username=username[:150],
        ip_address=client_ip(request) if request is not None else None,
        detail=detail or {},
    )


# --- How a log-in says which method it used ---------------------------------------------------------
#
# Every log-in is recorded by one receiver (identity/receivers.py, on Django's `user_logged_in`,
# which fires for allauth's form, the Wagtail admin, SSO and any `django.contrib.auth.login()`),
# so the code of a method never writes the log-in entry itself. Instead, before the user is
# logged in, it notes its method:
#
#     from identity.services import login_method_note
#     login_method_note(request=request, method=AccessEvent.Method.DIRECTORY)
#
# The note is kept in the session (it survives allauth's MFA stage, which logs the user in on a
# later request) and taken by the receiver at log-in. Without a note the method is
# `password`, except that a social log-in (allauth `pre_social_login`) notes `oidc` or `saml`
# from its provider by itself. Failures, lock-outs and refusals are recorded the same way by
# receivers; the code of a method records only the events no signal carries (e.g. "unknown
# directory user", "IdP assertion for a person not on the roster") with `access_event_record`.

LOGIN_METHOD_SESSION_KEY = "identity_login_method"


LOGIN_NOTE_SESSION_KEY = "identity_login_note"


def login_method_note(*, request, method: str, username: str = "", detail: dict | None = None) -> None:
    """Note the log-in method of the log-in in progress on this request's session (and, for the
    log, the name as the person typed it and any detail such as a password fallback)."""
    if method not in AccessEvent.Method.values:
        raise ValueError(f"unknown log-in method {method!r}")
    request.identity_login_method = method
    note = {"username": username[:150], "detail": detail or {}}
    request.identity_login_note = note
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_METHOD_SESSION_KEY] = method
        session[LOGIN_NOTE_SESSION_KEY] = note


def login_method_take(*, request) -> str:
    """The method noted for the log-in now completing (and forget it); `password` by default."""
    method = getattr(request, "identity_login_method", "") if request is not None else ""
    session = getattr(request, "session", None)
    if session is not None:
        method = session.pop(LOGIN_METHOD_SESSION_KEY, "") or method
    return method or AccessEvent.Method.PASSWORD


def login_note_take(*, request) -> dict:
    """The name typed and the detail noted with the method (and forget them)."""
    note = getattr(request, "identity_login_note", None) if request is not None else None
    session = getattr(request, "session", None)
    if session is not None:
        note = session.pop(LOGIN_NOTE_SESSION_KEY, None) or note
    return note or {}


# --- Retention -------------------------------------------------------------------------------------


def access_events_purge(*, now=None) -> dict:
    """Delete the access-log entries past their retention: each municipality's after its
    LoginPolicy.access_log_retention_days (the field's default when it has no policy row), those
    without a municipality after settings.IDENTITY_ACCESS_LOG_RETENTION_DAYS. Idempotent.
    Returns {municipality code or "": (retention days, entries deleted)}."""
    import datetime

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from people.models import Municipality

    from .models import LoginPolicy

    now = now or timezone.now()
    default_days = LoginPolicy._meta.get_field("access_log_retention_days").get_default()
    policies = dict(LoginPolicy.objects.values_list("municipality_id", "access_log_retention_days"))
    result = {}
    with transaction.atomic():
        for municipality_id, code in Municipality.objects.order_by("code").values_list("pk", "code"):
            days = policies.get(municipality_id, default_days)
            cutoff = now - datetime.timedelta(days=days)
            deleted, _ = AccessEvent.objects.filter(municipality_id=municipality_id, created_at__lt=cutoff).delete()
            result[code] = (days, deleted)
        days = settings.IDENTITY_ACCESS_LOG_RETENTION_DAYS
        cutoff = now - datetime.timedelta(days=days)
        deleted, _ = AccessEvent.objects.filter(municipality_id__isnull=True, created_at__lt=cutoff).delete()
        result[""] = (days, deleted)
    return result
