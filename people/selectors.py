"""Reads of staff and departments, always scoped to the viewer."""

from __future__ import annotations

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from . import scoping
from .models import Department, DepartmentName, Municipality, RosterImport, StaffMember


def department_name_on(*, department: str, day):
    """An expression: the name the department in field `department` ("pk" on Department itself) had
    on `day` (a date, or the name of a date field), as a correlated subquery on people.DepartmentName
    so a list of any length stays one query; falling back to the name today. The rule of a name on a
    day is DepartmentName.objects.on (decision 0039)."""
    on = OuterRef(day) if isinstance(day, str) else Value(day)
    named = DepartmentName.objects.filter(department_id=OuterRef(department), valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )
    current = F("name") if department == "pk" else F(f"{department}__name")
    return Coalesce(Subquery(named.values("name")[:1]), current)


def department_names_on(*, municipality: Municipality, day) -> dict[int, str]:
    """Every department of the municipality with the name it had on `day` (one query)."""
    return dict(
        Department.objects.filter(municipality=municipality)
        .annotate(name_then=department_name_on(department="pk", day=day))
        .order_by()
        .values_list("pk", "name_then")
    )


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
        .defer("content", "departments_content", "summary")
        .annotate(error_count=KT("summary__error_count"))
    )


def roster_import_get(*, user, pk: int, with_content: bool = False) -> RosterImport:
    """One import the user may see, or 404 (another municipality's import is not found)."""
    queryset = RosterImport.objects.visible_to(user).select_related("municipality")
    if not with_content:
        queryset = queryset.defer("content", "departments_content")
    return get_object_or_404(queryset, pk=pk)


def role_staff_list(*, user, query: str = "", role: str = "") -> QuerySet[StaffMember]:
    """The people HR may appoint (their municipality's; none without the permission), searched by
    name, カナ or 職員番号 and filtered by role."""
    from django.db.models import Q

    if not user.has_perm("people.appoint_roles"):
        return StaffMember.objects.none()
    queryset = staff_list(user=user).select_related("user")
    if query:
        queryset = queryset.filter(
            Q(name__icontains=query) | Q(kana__icontains=query) | Q(staff_number__icontains=query)
        )
    if role in (StaffMember.Role.DEPARTMENT_HEAD, StaffMember.Role.HR, StaffMember.Role.EMPLOYEE):
        queryset = queryset.filter(role=role)
    elif role in ("editor", "approver"):
        from .appointments import group_name

        queryset = queryset.filter(
            user__groups__name__in=[
                group_name(role=role, municipality=m)
                for m in Municipality.objects.filter(staff__in=queryset).distinct()
            ]
        )
    return queryset


def role_staff_get(*, user, pk: int) -> StaffMember:
    """One person HR may appoint, or 404 (another municipality's people are not found)."""
    return get_object_or_404(role_staff_list(user=user), pk=pk)


def staff_roles(*, staff: StaffMember) -> list[str]:
    """The roles a person holds: 所属長 or 人事担当 from the staff record, 編集者 and 承認者 from the
    municipality's groups."""
    from .appointments import APPROVER, EDITOR, group_name

    roles = [staff.role] if staff.role != StaffMember.Role.EMPLOYEE else []
    names = set(staff.user.groups.values_list("name", flat=True))
    roles += [r for r in (EDITOR, APPROVER) if group_name(role=r, municipality=staff.municipality) in names]
    return roles


def department_heads(*, user, vacant: bool | None = None) -> list[tuple[Department, StaffMember | None]]:
    """Each department HR may see with its 所属長 (None: the post is vacant), by 所属コード."""
    if not user.has_perm("people.appoint_roles"):
        return []
    departments = list(Department.objects.visible_to(user).order_by("municipality__code", "code"))
    heads = {
        s.department_id: s
        for s in StaffMember.objects.filter(
            department__in=departments, role=StaffMember.Role.DEPARTMENT_HEAD, is_active=True
        )
    }
    rows = [(d, heads.get(d.pk)) for d in departments]
    if vacant is True:
        rows = [(d, h) for d, h in rows if h is None]
    elif vacant is False:
        rows = [(d, h) for d, h in rows if h is not None]
    return rows
