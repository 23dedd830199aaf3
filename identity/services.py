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


# --- second factor and sessions (decision 0025) ----------------------------------------------------


def sessions_revoke(*, user, actor, request=None) -> int:
    """End every session of `user` (allauth.usersessions tracks them; each is deleted from the
    session store, Redis or database). Logged as sessions_revoked; returns how many ended."""
    from allauth.usersessions.models import UserSession

    from .models import AccessEvent

    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        session.end()
        ended += 1
    access_event_record(
        kind=AccessEvent.Kind.SESSIONS_REVOKED, request=request, actor=actor, subject=user, detail={"sessions": ended}
    )
    return ended


def authenticators_reset(*, user, actor, request=None) -> int:
    """Remove every authenticator of `user` (a lost phone or key): HR's reset. The person sets up
    a new one at their next admin or HR page. Logged as mfa_removed; returns how many went."""
    from allauth.mfa.models import Authenticator

    from .models import AccessEvent

    types = sorted(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
    Authenticator.objects.filter(user_id=user.pk).delete()
    access_event_record(
        kind=AccessEvent.Kind.MFA_REMOVED,
        request=request,
        actor=actor,
        subject=user,
        detail={"reset_by_admin": True, "types": types},
    )
    return len(types)
