"""Reads of staff and departments, always scoped to the viewer."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import StaffMember


def staff_list(*, user) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.visible_to(user)
        .select_related("department", "municipality")
        .order_by("department__code", "staff_number")
    )


def staff_get(*, user, pk: int) -> StaffMember:
    """One staff member the viewer may see, or 404 (never someone else's data)."""
    return get_object_or_404(staff_list(user=user), pk=pk)
