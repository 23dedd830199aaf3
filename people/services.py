"""Writes for municipalities, departments and staff. Views and commands call these, never .save().
The roster import's writes are in people/roster_import.py, re-exported here."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from . import roster
from .models import (
    Department,
    DepartmentMembership,
    DepartmentName,
    Municipality,
    StaffMember,
    User,
    login_username,
)
from .signals import roster_changed


class PeopleError(Exception):
    """A write to people data was refused; the message is shown to the user as is."""


def municipality_get_or_create(*, code: str, name: str, slug: str) -> Municipality:
    municipality, _created = Municipality.objects.get_or_create(code=code, defaults={"name": name, "slug": slug})
    return municipality


@transaction.atomic
def department_create(
    *, municipality: Municipality, code: str, name: str, parent: Department | None = None
) -> Department:
    if parent is not None and parent.municipality_id != municipality.pk:
        raise PeopleError(_("上位所属が別の自治体に属しています。"))
    department = Department(municipality=municipality, code=code, name=name, parent=parent)
    try:
        department.full_clean(exclude=["path"])
    except ValidationError as exc:
        raise PeopleError("；".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
    department.path = "/"
    department.save()
    prefix = parent.path if parent else "/"
    department.path = f"{prefix}{department.pk}/"
    department.depth = (parent.depth + 1) if parent else 1
    department.save(update_fields=["path", "depth"])
    DepartmentName.objects.create(department=department, name=name, valid_from=DepartmentName.SINCE_ALWAYS)
    return department


@transaction.atomic
def staff_create(
    *,
    municipality: Municipality,
    staff_number: str,
    name: str,
    department: Department,
    start_date: datetime.date,
    kana: str = "",
    email: str = "",
    employment_type: str = StaffMember.EmploymentType.REGULAR,
    role: str = StaffMember.Role.EMPLOYEE,
    operates_official_account: bool = False,
    password: str | None = None,
    password_hash: str | None = None,
) -> StaffMember:
    """Create a staff member and the user they log in with (e-mail, or municipality + 職員番号)."""
    if department.municipality_id != municipality.pk:
        raise PeopleError(_("所属が別の自治体に属しています。"))
    username = login_username(municipality.code, staff_number)
    if User.objects.filter(username=username).exists():
        raise PeopleError(_("職員番号 %(number)s は既に登録されています。") % {"number": staff_number})
    if email and EmailAddress.objects.filter(email__iexact=email).exists():
        # One address, one account: otherwise e-mail log-in is ambiguous and the insert fails.
        raise PeopleError(_("メールアドレス %(email)s は既に登録されています。") % {"email": email.lower()})
    user = User(username=username, email=email.lower(), first_name=name[:150], last_name="")
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    staff = StaffMember(
        user=user,
        municipality=municipality,
        staff_number=staff_number,
        name=name,
        kana=kana,
        department=department,
        employment_type=employment_type,
        role=role,
        operates_official_account=operates_official_account,
        start_date=start_date,
    )
    try:
        staff.full_clean(exclude=["user"])
    except ValidationError as exc:
        raise PeopleError("；".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
    staff.save()
    if email:
        EmailAddress.objects.create(user=user, email=email.lower(), primary=True, verified=True)
    DepartmentMembership.objects.create(staff=staff, department=department, valid_from=start_date)
    _roster_changed(municipality=municipality, on=timezone.localdate(), created=[staff.pk])
    return staff


# --- single-person changes -----------------------------------------------------------------


def _roster_changed(*, municipality: Municipality, on: datetime.date, **lists: list[int]) -> None:
    """Tell the training app (people/signals.py) inside the transaction that made the change."""
    payload = {key: list(lists.get(key, [])) for key in ("created", "transferred", "deactivated", "reactivated")}
    if any(payload.values()):
        roster_changed.send(sender=StaffMember, municipality=municipality, on=on, **payload)


def _staff_locked(staff: StaffMember) -> StaffMember:
    # of=("self",): lock the person only, not their municipality through Meta.ordering's join.
    return (
        StaffMember.objects.select_for_update(of=("self",))
        .select_related("municipality", "department", "user")
        .get(pk=staff.pk)
    )


def _memberships_change(
    *,
    on: datetime.date,
    moves: dict[int, int] | None = None,
    ends: list[int] | tuple[int, ...] = (),
) -> None:
    """Department history for `moves` (staff pk → department pk: a transfer, or a return to work)
    and `ends` (staff pks who leave). The open row closes on `on` (the first day elsewhere) and a new
    one opens; a row that would not have begun by `on` is rewritten or removed instead."""
    moves = moves or {}
    staff_ids = list(moves) + list(ends)
    open_rows: dict[int, DepartmentMembership] = {}
    for start in range(0, len(staff_ids), roster.IN_CHUNK):
        chunk = staff_ids[start : start + roster.IN_CHUNK]
        open_rows.update((m.staff_id, m) for m in DepartmentMembership.objects.open().filter(staff_id__in=chunk))
    closed: list[DepartmentMembership] = []
    rewritten: list[DepartmentMembership] = []
    removed: list[int] = []
    opened: list[DepartmentMembership] = []
    for staff_id in ends:
        row = open_rows.get(staff_id)
        if row is None:
            continue
        if row.valid_from < on:
            row.valid_to = on
            closed.append(row)
        else:
            removed.append(row.pk)
    for staff_id, department_id in moves.items():
        row = open_rows.get(staff_id)
        if row is None:
            opened.append(DepartmentMembership(staff_id=staff_id, department_id=department_id, valid_from=on))
        elif row.department_id == department_id:
            continue
        elif row.valid_from < on:
            row.valid_to = on
            closed.append(row)
            opened.append(DepartmentMembership(staff_id=staff_id, department_id=department_id, valid_from=on))
        else:
            row.department_id = department_id
            rewritten.append(row)
    if removed:
        DepartmentMembership.objects.filter(pk__in=removed).delete()
    DepartmentMembership.objects.bulk_update(closed, ["valid_to"], batch_size=1000)
    DepartmentMembership.objects.bulk_update(rewritten, ["department"], batch_size=1000)
    DepartmentMembership.objects.bulk_create(opened, batch_size=1000)


@transaction.atomic
def staff_transfer(
    *, staff: StaffMember, department: Department, on: datetime.date | None = None, user: User | None = None
) -> StaffMember:
    """Move an active person to another department from `on` (default today), keeping the history."""
    staff = _staff_locked(staff)
    on = on or timezone.localdate()
    if department.municipality_id != staff.municipality_id:
        raise PeopleError(_("所属が別の自治体に属しています。"))
    if not staff.is_active:
        raise PeopleError(_("退職者は異動できません。先に在職に戻してください。"))
    if department.pk == staff.department_id:
        raise PeopleError(_("既にその所属にいます。"))
    old = staff.department
    _memberships_change(on=on, moves={staff.pk: department.pk})
    staff.department = department
    # 所属長 is a post of the department (decision 0027): it stays behind, vacant.
    vacated = staff.role == StaffMember.Role.DEPARTMENT_HEAD
    if vacated:
        staff.role = StaffMember.Role.EMPLOYEE
    staff.save(update_fields=["department", "role"])
    log(
        instance=staff,
        action="people.staff_transferred",
        user=user,
        data={"from": old.code, "to": department.code, "on": on.isoformat()},
    )
    if vacated:
        from .appointments import head_post_vacated

        head_post_vacated(staff=staff, department=old, by=user, source="transfer")
    _roster_changed(municipality=staff.municipality, on=on, transferred=[staff.pk])
    return staff


@transaction.atomic
def staff_deactivate(*, staff: StaffMember, on: datetime.date | None = None, user: User | None = None) -> StaffMember:
    """Mark a person as left (退職) from `on`: they can no longer log in, their department history
    ends, their records stay. A 所属長 loses the role (no inactive 所属長 exists)."""
    staff = _staff_locked(staff)
    on = on or timezone.localdate()
    if not staff.is_active:
        raise PeopleError(_("既に退職になっています。"))
    if user is not None and staff.user_id == user.pk:
        raise PeopleError(_("ご自身を退職にすることはできません。"))
    _memberships_change(on=on, ends=[staff.pk])
    demoted = staff.role == StaffMember.Role.DEPARTMENT_HEAD
    staff.is_active = False
    if demoted:
        staff.role = StaffMember.Role.EMPLOYEE
    staff.save(update_fields=["is_active", "role"])
    User.objects.filter(pk=staff.user_id).update(is_active=False)
    staff.user.is_active = False
    log(
        instance=staff,
        action="people.staff_deactivated",
        user=user,
        data={"on": on.isoformat(), "demoted": demoted},
    )
    if demoted:
        from .appointments import head_post_vacated

        head_post_vacated(staff=staff, department=staff.department, by=user, source="deactivation")
    _roster_changed(municipality=staff.municipality, on=on, deactivated=[staff.pk])
    return staff


@transaction.atomic
def staff_reactivate(
    *,
    staff: StaffMember,
    department: Department | None = None,
    on: datetime.date | None = None,
    user: User | None = None,
) -> StaffMember:
    """Bring a person back (再任用 or a mistaken 退職): they can log in again, and their history
    reopens in `department` (default: the department they left) from `on`."""
    staff = _staff_locked(staff)
    on = on or timezone.localdate()
    department = department or staff.department
    if department.municipality_id != staff.municipality_id:
        raise PeopleError(_("所属が別の自治体に属しています。"))
    if staff.is_active:
        raise PeopleError(_("既に在職になっています。"))
    _memberships_change(on=on, moves={staff.pk: department.pk})
    staff.is_active = True
    staff.department = department
    staff.save(update_fields=["is_active", "department"])
    User.objects.filter(pk=staff.user_id).update(is_active=True)
    staff.user.is_active = True
    log(
        instance=staff, action="people.staff_reactivated", user=user, data={"on": on.isoformat(), "to": department.code}
    )
    _roster_changed(municipality=staff.municipality, on=on, reactivated=[staff.pk])
    return staff


# The roster import (people/roster_import.py), under the names callers use.
from .departments import (  # noqa: E402
    department_changes_apply,
    department_merge,
    department_move,
    department_rename,
    department_retire,
    membership_start_correct,
    staff_start_date_correct,
)
from .roster_import import (  # noqa: E402
    PURGED_MESSAGE,
    STAFF_FIELDS,
    RosterPlanChanged,
    RosterPurgeResult,
    roster_import_commit,
    roster_import_create,
    roster_import_plan,
    roster_import_refresh,
    roster_imports_purge,
)

__all__ = [
    "PURGED_MESSAGE",
    "STAFF_FIELDS",
    "PeopleError",
    "RosterPlanChanged",
    "RosterPurgeResult",
    "department_changes_apply",
    "department_create",
    "department_merge",
    "department_move",
    "department_rename",
    "department_retire",
    "membership_start_correct",
    "municipality_get_or_create",
    "roster_import_commit",
    "roster_import_create",
    "roster_import_plan",
    "roster_import_refresh",
    "roster_imports_purge",
    "staff_create",
    "staff_deactivate",
    "staff_reactivate",
    "staff_start_date_correct",
    "staff_transfer",
]
