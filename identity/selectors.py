"""Reads of the identity app: the access log as the viewer may read it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from .models import AccessEvent

VIEW_PERMISSION = "identity.view_accessevent"


def access_events_for(*, user):
    """The entries the viewer may read (HR: their municipality; the platform admin: all), with
    what the list shows of each person loaded in the same query."""
    return AccessEvent.objects.visible_to(user).select_related(
        "municipality", "actor__staff_profile", "subject__staff_profile"
    )


def access_event_get(*, user, pk) -> AccessEvent:
    """One entry, or 404 when it is not the viewer's to read."""
    return get_object_or_404(access_events_for(user=user), pk=pk)


def person_label(user) -> str:
    """A person as the log shows them: 氏名（職員番号）, else the account's log-in name."""
    if user is None:
        return ""
    staff = getattr(user, "staff_profile", None)
    if staff is not None:
        return f"{staff.name}（{staff.staff_number}）"
    return user.get_username()


def staff_number_of(user) -> str:
    staff = getattr(user, "staff_profile", None) if user is not None else None
    return staff.staff_number if staff is not None else ""
