"""Appointing and removing roles (issue 12, docs/decisions/0027-roles.md).

HR of a municipality appoints 所属長, 人事担当, 編集者 and 承認者 within it. 所属長 and 人事担当 are
`StaffMember.role` (the one source people/scoping.py reads); 編集者 and 承認者 are membership of the
municipality's Wagtail groups made by courses.services.editorial_setup. 所属長 is a post of a
department: only a person in that department holds it, one at a time (a DB constraint), and a
transfer vacates it (`head_post_vacated`, called by people.services and the roster import).
Every change writes an AccessEvent(kind=role_changed) and a Wagtail log entry."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from .models import Department, StaffMember, User
from .services import PeopleError

DEPARTMENT_HEAD = StaffMember.Role.DEPARTMENT_HEAD.value
HR = StaffMember.Role.HR.value
EMPLOYEE = StaffMember.Role.EMPLOYEE.value
EDITOR = "editor"
APPROVER = "approver"

# What HR may appoint, in the order the admin shows them. Platform admin (superuser / is_staff)
# is not among them: no service here ever writes those flags.
APPOINTABLE: dict[str, object] = {
    DEPARTMENT_HEAD: gettext_lazy("所属長"),
    HR: gettext_lazy("人事担当"),
    EDITOR: gettext_lazy("編集者"),
    APPROVER: gettext_lazy("承認者"),
}
STAFF_ROLES = (DEPARTMENT_HEAD, HR)
GROUP_ROLES = (EDITOR, APPROVER)

APPOINT_PERMISSION = "people.appoint_roles"


class AppointmentError(PeopleError):
    """An appointment or removal was refused; the message is shown to HR as is."""


def group_name(*, role: str, municipality) -> str:
    """The Wagtail group of a municipality's editors or approvers (courses.services.editorial_setup)."""
    from courses.services import APPROVER_GROUP, EDITOR_GROUP

    template = EDITOR_GROUP if role == EDITOR else APPROVER_GROUP
    return template.format(municipality=municipality.name)


def _group(*, role: str, municipality) -> Group:
    name = group_name(role=role, municipality=municipality)
    group = Group.objects.filter(name=name).first()
    if group is None:
        raise AppointmentError(
            _("「%(name)s」グループがありません。先にガイドラインの編集体制を設定してください（システム管理者）。")
            % {"name": name}
        )
    return group


def _target(*, by: User, staff: StaffMember) -> StaffMember:
    """The person, locked, if `by` may appoint for them: PermissionDenied without the permission,
    Http404 outside `by`'s municipality (the one scope, people/scoping.py)."""
    from django.http import Http404

    if by is None or not by.has_perm(APPOINT_PERMISSION):
        raise PermissionDenied
    visible = StaffMember.objects.visible_to(by).filter(pk=staff.pk)
    if not visible.exists():
        raise Http404
    return (
        StaffMember.objects.select_for_update(of=("self",))
        .select_related("municipality", "department", "user")
        .get(pk=staff.pk)
    )


def role_changed_record(
    *,
    staff: StaffMember,
    role: str,
    action: str,
    by: User | None,
    department: Department | None = None,
    previous: str = "",
    source: str = "admin",
    request=None,
) -> None:
    """The audit of one appointment, removal or vacated post: an access-log entry and a Wagtail
    log entry on the staff record. `action`: appoint, remove or vacated; `source`: admin, roster,
    transfer or deactivation."""
    from identity.models import AccessEvent
    from identity.services import access_event_record

    detail = {
        "role": role,
        "action": action,
        "department": department.code if department else "",
        "department_name": department.name if department else "",
        "previous": previous,
        "source": source,
    }
    access_event_record(
        kind=AccessEvent.Kind.ROLE_CHANGED,
        request=request,
        actor=by,
        subject=staff.user,
        municipality_id=staff.municipality_id,
        detail=detail,
    )
    action_name = {"appoint": "people.role_appointed", "remove": "people.role_removed"}.get(
        action, "people.head_post_vacated"
    )
    log(instance=staff, action=action_name, user=by, data=detail)


def head_post_vacated(*, staff: StaffMember, department: Department, by: User | None, source: str) -> None:
    """Log that `staff` no longer holds the 所属長 post of `department` (the caller has written the
    role): a transfer or a 退職 leaves the post vacant, visible to HR in the department list."""
    role_changed_record(
        staff=staff,
        role=DEPARTMENT_HEAD,
        action="vacated",
        by=by,
        department=department,
        previous=DEPARTMENT_HEAD,
        source=source,
    )


def _save_role(staff: StaffMember, role: str) -> None:
    staff.role = role
    try:
        with transaction.atomic():
            staff.save(update_fields=["role"])
    except IntegrityError as exc:  # another head appointed at the same moment
        raise AppointmentError(_("この所属には既に所属長がいます。")) from exc


@transaction.atomic
def role_appoint(
    *, by: User, staff: StaffMember, role: str, department: Department | None = None, request=None
) -> StaffMember:
    """Appoint `staff` to `role` (所属長 of `department` — their own —, 人事担当, 編集者, 承認者).
    所属長 and 人事担当 replace the person's current role on the staff record (one per person)."""
    staff = _target(by=by, staff=staff)
    if role not in APPOINTABLE:
        raise AppointmentError(_("任命できない役割です。"))
    if not staff.is_active or not staff.user.is_active:
        raise AppointmentError(_("在職していない人は任命できません。"))
    label = APPOINTABLE[role]
    if role in GROUP_ROLES:
        group = _group(role=role, municipality=staff.municipality)
        if staff.user.groups.filter(pk=group.pk).exists():
            raise AppointmentError(_("既に%(role)sです。") % {"role": label})
        staff.user.groups.add(group)
        role_changed_record(staff=staff, role=role, action="appoint", by=by, request=request)
        return staff
    if staff.role == role:
        raise AppointmentError(_("既に%(role)sです。") % {"role": label})
    if staff.role == HR and staff.user_id == by.pk:
        raise AppointmentError(_("ご自身の人事担当の役割は外せません。別の人事担当者に依頼してください。"))
    target_department = None
    if role == DEPARTMENT_HEAD:
        target_department = department or staff.department
        if target_department.pk != staff.department_id:
            raise AppointmentError(
                _("所属長には、その所属（%(department)s）の職員を選んでください。") % {"department": target_department}
            )
        holder = (
            StaffMember.objects.filter(department=target_department, role=DEPARTMENT_HEAD).exclude(pk=staff.pk).first()
        )
        if holder is not None:
            raise AppointmentError(
                _("%(department)s には既に所属長（%(name)s）がいます。先にその人の所属長を外してください。")
                % {"department": target_department, "name": holder.name}
            )
    previous = staff.role
    _save_role(staff, role)
    if previous == DEPARTMENT_HEAD:
        head_post_vacated(staff=staff, department=staff.department, by=by, source="admin")
    role_changed_record(
        staff=staff,
        role=role,
        action="appoint",
        by=by,
        department=target_department,
        previous=previous,
        request=request,
    )
    return staff


@transaction.atomic
def role_remove(*, by: User, staff: StaffMember, role: str, request=None) -> StaffMember:
    """Take `role` from `staff`: 所属長 and 人事担当 return them to 職員 (a 所属長's post is then
    vacant); 編集者 and 承認者 leave the municipality's group."""
    staff = _target(by=by, staff=staff)
    if role not in APPOINTABLE:
        raise AppointmentError(_("任命できない役割です。"))
    label = APPOINTABLE[role]
    if role in GROUP_ROLES:
        group = _group(role=role, municipality=staff.municipality)
        if not staff.user.groups.filter(pk=group.pk).exists():
            raise AppointmentError(_("%(role)sではありません。") % {"role": label})
        staff.user.groups.remove(group)
        role_changed_record(staff=staff, role=role, action="remove", by=by, request=request)
        return staff
    if staff.role != role:
        raise AppointmentError(_("%(role)sではありません。") % {"role": label})
    if role == HR and staff.user_id == by.pk:
        raise AppointmentError(_("ご自身の人事担当の役割は外せません。別の人事担当者に依頼してください。"))
    _save_role(staff, EMPLOYEE)
    role_changed_record(
        staff=staff,
        role=role,
        action="remove",
        by=by,
        department=staff.department if role == DEPARTMENT_HEAD else None,
        previous=role,
        request=request,
    )
    return staff
