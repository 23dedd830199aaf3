"""Reads of personal-data handling: whose data a viewer may export or erase, and which policies
they may edit, each one short filter on people/scoping.py."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from people import scoping
from people.models import Municipality, StaffMember


def may_manage(user) -> bool:
    """HR of a municipality and the platform admin handle personal-data requests."""
    viewer = scoping.viewer_of(user)
    return viewer.platform_admin or viewer.is_hr


def staff_for_privacy(*, user) -> QuerySet[StaffMember]:
    """HR: their municipality's staff, retired included; the platform admin: everyone; others: none."""
    if not may_manage(user):
        return StaffMember.objects.none()
    queryset = StaffMember.objects.select_related("user", "department", "municipality")
    return scoping.within_municipality(queryset, user).order_by("municipality__code", "staff_number")


def staff_for_privacy_get(*, user, pk) -> StaffMember:
    return get_object_or_404(staff_for_privacy(user=user), pk=pk)


def municipalities_for_retention(*, user) -> QuerySet[Municipality]:
    if not may_manage(user):
        return Municipality.objects.none()
    return scoping.within_municipality(Municipality.objects.all(), user, field="pk").order_by("code")
