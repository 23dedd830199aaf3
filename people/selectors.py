"""Reads of staff and departments, always scoped to the viewer."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.shortcuts import get_object_or_404

from . import scoping
from .models import Municipality, RosterImport, StaffMember


def staff_list(*, user) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.visible_to(user)
        .select_related("department", "municipality")
        .order_by("department__code", "staff_number")
    )


def staff_get(*, user, pk: int) -> StaffMember:
    """One staff member the viewer may see, or 404 (never someone else's data)."""
    return get_object_or_404(staff_list(user=user), pk=pk)


def roster_import_municipalities(*, user) -> QuerySet[Municipality]:
    """Where a user may import rosters: HR their own municipality, the platform admin any."""
    return scoping.within_municipality(
        Municipality.objects.order_by("code"), user, field="pk", permission="people.import_roster"
    )


def roster_imports(*, user) -> QuerySet[RosterImport]:
    """The imports a user may see, newest first, without the stored file or the dry run (only its
    error count)."""
    return (
        RosterImport.objects.visible_to(user)
        .select_related("municipality")
        .defer("content", "summary")
        .annotate(error_count=KT("summary__error_count"))
    )


def roster_import_get(*, user, pk: int, with_content: bool = False) -> RosterImport:
    """One import the user may see, or 404 (another municipality's import is not found)."""
    queryset = RosterImport.objects.visible_to(user).select_related("municipality")
    if not with_content:
        queryset = queryset.defer("content")
    return get_object_or_404(queryset, pk=pk)
