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
    if not (viewer.platform_admin or viewer.is_hr):
        return queryset.none()
    return scoping.within_municipality(queryset, user).order_by("municipality__code", "staff_number")


def staff_for_login_admin_get(*, user, pk) -> StaffMember:
    return get_object_or_404(staff_for_login_admin(user=user), pk=pk)
