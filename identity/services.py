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
