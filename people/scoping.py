"""Who may see what: the one place the viewer is worked out (invariant 2).

`viewer_of(user)` reads a user — logged in, platform admin, active staff record, role,
municipality, department path — into a small `Viewer`. It costs no query: the authentication
backend loads the staff record, its department and municipality with the user in one statement
(people/backends.py). It is not cached on the user, so a role or transfer written in the same
request or test is seen at once. Every `visible_to` queryset method, selector and admin access
check is a short filter on top of it (`within_municipality`, `staff_within_reach`,
`departments_within_reach`, `own_rows`), so the rule for each kind of viewer is written here and
nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class Viewer:
    """The facts every scope needs about one user, read once per request."""

    authenticated: bool = False
    platform_admin: bool = False
    staff_id: int | None = None
    municipality_id: int | None = None
    department_id: int | None = None
    department_path: str | None = None
    role: str | None = None

    @property
    def has_staff(self) -> bool:
        """An active staff record: the only way anyone but a platform admin sees anything."""
        return self.staff_id is not None

    @property
    def is_hr(self) -> bool:
        from .models import StaffMember

        return self.role == StaffMember.Role.HR

    @property
    def is_department_head(self) -> bool:
        from .models import StaffMember

        return self.role == StaffMember.Role.DEPARTMENT_HEAD


ANONYMOUS = Viewer()


def viewer_of(user) -> Viewer:
    """The viewer behind `user`: anonymous, a platform admin, a user without an active staff
    record (sees nothing), or staff with a role, municipality and department."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    if user.is_superuser:
        return Viewer(authenticated=True, platform_admin=True)
    from .models import StaffMember

    staff = getattr(user, "staff_profile", None)
    if staff is None or not staff.is_active:
        return Viewer(authenticated=True)
    # Only a 所属長's scope needs the department's path (no query for anyone else's).
    head = staff.role == StaffMember.Role.DEPARTMENT_HEAD
    return Viewer(
        authenticated=True,
        staff_id=staff.pk,
        municipality_id=staff.municipality_id,
        department_id=staff.department_id,
        department_path=staff.department.path if head else None,
        role=staff.role,
    )


# --- the filters every visible_to is built from ---------------------------------------------------


def within_municipality(queryset: QuerySet, user, *, field: str = "municipality_id", permission: str = "") -> QuerySet:
    """Rows of the viewer's municipality (all for a platform admin, none without an active staff
    record or, when given, without `permission`)."""
    viewer = viewer_of(user)
    if viewer.platform_admin:
        return queryset
    if not viewer.has_staff or (permission and not user.has_perm(permission)):
        return queryset.none()
    return queryset.filter(**{field: viewer.municipality_id})


def staff_within_reach(queryset: QuerySet, user, *, prefix: str = "") -> QuerySet:
    """Rows about the staff the viewer may see: HR their municipality, a 所属長 their department
    and those below it, anyone else themselves. `prefix` leads from the rows to the staff member
    ("" for StaffMember itself, "staff__" for assignments)."""
    viewer = viewer_of(user)
    if viewer.platform_admin:
        return queryset
    if not viewer.has_staff:
        return queryset.none()
    if viewer.is_hr:
        return queryset.filter(**{f"{prefix}municipality_id": viewer.municipality_id})
    if viewer.is_department_head:
        return queryset.filter(
            **{
                f"{prefix}municipality_id": viewer.municipality_id,
                f"{prefix}department__path__startswith": viewer.department_path,
            }
        )
    return queryset.filter(**{f"{prefix}pk" if prefix else "pk": viewer.staff_id})


def departments_within_reach(queryset: QuerySet, user) -> QuerySet:
    """Departments by the same rule: HR all of their municipality's, a 所属長 their subtree,
    anyone else their own."""
    viewer = viewer_of(user)
    if viewer.platform_admin:
        return queryset
    if not viewer.has_staff:
        return queryset.none()
    if viewer.is_hr:
        return queryset.filter(municipality_id=viewer.municipality_id)
    if viewer.is_department_head:
        return queryset.filter(municipality_id=viewer.municipality_id, path__startswith=viewer.department_path)
    return queryset.filter(pk=viewer.department_id)


def own_rows(queryset: QuerySet, user, *, field: str = "staff_id") -> QuerySet:
    """Only the viewer's own rows (attempts, records): nobody else's, a platform admin's included."""
    viewer = viewer_of(user)
    if viewer.staff_id is None:
        return queryset.none()
    return queryset.filter(**{field: viewer.staff_id})


def acting_staff(user):
    """The viewer's own active staff record, to answer, attest or manage as; None for anyone
    without one (a platform admin reads every guideline but answers as no one)."""
    viewer = viewer_of(user)
    if not viewer.has_staff:
        return None
    return user.staff_profile


def is_within_municipality(user, municipality_id: int | None) -> bool:
    """Whether one object of `municipality_id` is the viewer's to see (a platform admin: any)."""
    viewer = viewer_of(user)
    return viewer.platform_admin or (viewer.has_staff and viewer.municipality_id == municipality_id)
