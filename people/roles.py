"""Permissions that come with a role on the staff record (decision 0009).

HR's admin access follows `StaffMember.role`, not a group that could drift from the roster: a
person moved out of 人事課 loses the admin with the roster change that moves them."""

from __future__ import annotations

from . import scoping
from .models import StaffMember

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    StaffMember.Role.HR: frozenset(
        {
            "wagtailadmin.access_admin",
            "people.view_staffmember",
            "people.import_roster",
            "people.appoint_roles",
            "training.view_trainingcycle",
            "training.add_trainingcycle",
            "training.change_trainingcycle",
            "reports.view_reports",
            "identity.view_accessevent",
            "identity.issue_setupcode",  # first-access letters (identity/letters_admin.py)
        }
    ),
    StaffMember.Role.DEPARTMENT_HEAD: frozenset(),
    StaffMember.Role.EMPLOYEE: frozenset(),
}


def role_permissions(user) -> frozenset[str]:
    """The permissions a user holds through their staff role (none when inactive or without one)."""
    viewer = scoping.viewer_of(user)
    if not viewer.has_staff:
        return frozenset()
    return ROLE_PERMISSIONS.get(viewer.role, frozenset())
