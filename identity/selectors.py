"""Reads of the identity app, scoped to the viewer through people.scoping."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from people import scoping
from people.models import StaffMember


def staff_for_login_admin(*, user) -> QuerySet[StaffMember]:
    """Whose log-in (sessions, second factor) a viewer manages: HR their municipality's staff, the
    platform admin everyone's, anyone else nobody's."""
    viewer = scoping.viewer_of(user)
    queryset = StaffMember.objects.select_related("user", "department", "municipality")
    if viewer.platform_admin:
        return queryset.order_by("municipality__code", "staff_number")
    if not viewer.is_hr:
        return queryset.none()
    # A platform admin's log-in is the platform's business, even with a staff record in a city.
    queryset = queryset.exclude(user__is_superuser=True)
    return scoping.within_municipality(queryset, user).order_by("municipality__code", "staff_number")


def staff_for_login_admin_get(*, user, pk) -> StaffMember:
    return get_object_or_404(staff_for_login_admin(user=user), pk=pk)
