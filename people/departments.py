"""Writes of department history (docs/decisions/0039, 0045): renaming from a day, moving under
another parent from a day, retiring (廃止) and merging (統合) departments, applying changes dated
in the future once their day comes, and correcting the start of a person's department-history row
(着任日). Re-exported by people.services.

Lock order (docs/architecture.md): the municipality row first, then departments, then people."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from sns_training.dates import date_display

from .models import (
    Department,
    DepartmentMembership,
    DepartmentName,
    DepartmentPlacement,
    Municipality,
    StaffMember,
    User,
)
from .services import PeopleError, _memberships_change, _roster_changed


def _lock_municipality(municipality_id: int) -> Municipality:
    return Municipality.objects.select_for_update().get(pk=municipality_id)


def _department_locked(department: Department) -> Department:
    return Department.objects.select_for_update(of=("self",)).get(pk=department.pk)


def _name_rows_write(*, department: Department, name: str, on: datetime.date, user: User | None) -> str:
    """Make `name` the department's name from `on`: the row covering `on` ends there (or is
    rewritten when it starts that day). Returns the name it had on `on`. Refused when a rename
    after `on` is already recorded (history is written forwards only)."""
    rows = list(DepartmentName.objects.select_for_update().filter(department=department).order_by("valid_from"))
    if any(row.valid_from > on for row in rows):
        raise PeopleError(
            _("%(code)s には %(day)s より後の名称変更が登録されています。その変更より後の日付を指定してください。")
            % {"code": department.code, "day": date_display(on)}
        )
    current = next((row for row in rows if row.valid_to is None), None)
    if current is None:  # a department made before its history was kept: its name since always
        current = DepartmentName.objects.create(
            department=department, name=department.name, valid_from=DepartmentName.SINCE_ALWAYS
        )
    before = current.name
    if current.name == name:
        raise PeopleError(_("名称が変わっていません。"))
    if current.valid_from == on:
        current.name = name
        current.recorded_by = user
        current.save(update_fields=["name", "recorded_by"])
    else:
        current.valid_to = on
        current.save(update_fields=["valid_to"])
        DepartmentName.objects.create(department=department, name=name, valid_from=on, recorded_by=user)
    return before


@transaction.atomic
def department_rename(
    *, department: Department, name: str, on: datetime.date | None = None, user: User | None = None
) -> Department:
    """Rename a department from `on` (default today). Reports of days before `on` keep the old
    name; a date in the future is recorded now and becomes the current name on that day
    (`department_changes_apply`). Logged people.department_renamed."""
    name = (name or "").strip()
    if not name:
        raise PeopleError(_("名称が空です。"))
    if len(name) > Department._meta.get_field("name").max_length:
        raise PeopleError(_("名称が長すぎます（100文字以内）。"))
    _lock_municipality(department.municipality_id)
    department = _department_locked(department)
    on = on or timezone.localdate()
    if department.retired_on is not None and department.retired_on <= on:
        raise PeopleError(_("廃止された所属の名称は変更できません。"))
    before = _name_rows_write(department=department, name=name, on=on, user=user)
    if on <= timezone.localdate():
        department.name = name
        department.save(update_fields=["name"])
    log(
        instance=department,
        action="people.department_renamed",
        user=user,
        data={"code": department.code, "from": before, "to": name, "on": on.isoformat()},
    )
    return department


# --- the tree's shape by date (decision 0045) -------------------------------------------------

Position = tuple  # (parent pk or None, path, depth)


def tree_positions(parent_of: dict[int, int | None]) -> dict[int, Position]:
    """Each department's (parent, path, depth) in the tree `parent_of` (pk → parent pk) describes."""
    positions: dict[int, Position] = {}

    def position(pk: int) -> Position:
        chain = []
        walk = pk
        while walk is not None and walk not in positions:
            chain.append(walk)
            walk = parent_of[walk]
        prefix, depth = (positions[walk][1], positions[walk][2]) if walk is not None else ("/", 0)
        for item in reversed(chain):
            prefix, depth = f"{prefix}{item}/", depth + 1
            positions[item] = (parent_of[item], prefix, depth)
        return positions[pk]

    for pk in parent_of:
        position(pk)
    return positions


def placements_write(
    *, moved: dict[int, Position], before: dict[int, Position], on: datetime.date, user: User | None
) -> None:
    """Record that each department of `moved` stands at its new position from `on`: the row
    covering `on` ends there (or is rewritten when it starts that day); a department without rows
    gets one for `before` (where it stood until then) since always. Refused when a later move is
    already recorded (history is written forwards only). Bulk: a moved subtree is one call."""
    if not moved:
        return
    pks = sorted(moved)
    rows = list(DepartmentPlacement.objects.select_for_update().filter(department_id__in=pks).order_by("valid_from"))
    later = sorted({row.department_id for row in rows if row.valid_from > on})
    if later:
        codes = Department.objects.filter(pk__in=later).order_by("code").values_list("code", flat=True)
        raise PeopleError(
            _(
                "%(codes)s には %(day)s より後の上位所属の変更が登録されています。その変更より後の日付を指定してください。"
            )
            % {"codes": "、".join(codes), "day": date_display(on)}
        )
    open_rows = {row.department_id: row for row in rows if row.valid_to is None}
    created, closed, rewritten = [], [], []
    for pk in pks:
        parent_id, path, depth = moved[pk]
        current = open_rows.get(pk)
        if current is None:
            old_parent, old_path, old_depth = before[pk]
            if on > DepartmentName.SINCE_ALWAYS:
                created.append(
                    DepartmentPlacement(
                        department_id=pk,
                        parent_id=old_parent,
                        path=old_path,
                        depth=old_depth,
                        valid_from=DepartmentName.SINCE_ALWAYS,
                        valid_to=on,
                    )
                )
        elif current.valid_from >= on:
            current.parent_id, current.path, current.depth, current.recorded_by = parent_id, path, depth, user
            rewritten.append(current)
            continue
        else:
            current.valid_to = on
            closed.append(current)
        created.append(
            DepartmentPlacement(
                department_id=pk, parent_id=parent_id, path=path, depth=depth, valid_from=on, recorded_by=user
            )
        )
    DepartmentPlacement.objects.bulk_update(closed, ["valid_to"], batch_size=1000)
    DepartmentPlacement.objects.bulk_update(rewritten, ["parent", "path", "depth", "recorded_by"], batch_size=1000)
    DepartmentPlacement.objects.bulk_create(created, batch_size=1000)


def _tree_set(departments: list[Department], positions: dict[int, Position]) -> list[Department]:
    """Make the departments' current parent/path/depth the given positions; the ones changed."""
    changed = []
    for department in departments:
        position = positions.get(department.pk)
        if position is not None and (department.parent_id, department.path, department.depth) != position:
            department.parent_id, department.path, department.depth = position
            changed.append(department)
    Department.objects.bulk_update(changed, ["parent", "path", "depth"], batch_size=1000)
    return changed


@transaction.atomic
def department_move(
    *, department: Department, parent: Department | None, on: datetime.date | None = None, user: User | None = None
) -> Department:
    """Move a department (and everything below it) under `parent` (None: top level) from `on`
    (default today). Its place before `on` stays in the history, so a past cycle's report rolls up
    the tree of then; a date ahead is recorded now and the tree changes on that day
    (`department_changes_apply`). People keep their department; a 所属長's reach follows today's
    tree (decision 0045). Logged people.department_moved."""
    from .roster.reading import DEPARTMENT_DEPTH_MAX

    if parent is not None and parent.municipality_id != department.municipality_id:
        raise PeopleError(_("上位所属が別の自治体に属しています。"))
    municipality = _lock_municipality(department.municipality_id)
    department = _department_locked(department)
    on = on or timezone.localdate()
    if parent is not None:
        parent = _department_locked(parent)
    if department.retired_on is not None and department.retired_on <= on:
        raise PeopleError(_("廃止された所属は移せません。"))
    if parent is not None and parent.retired_on is not None and parent.retired_on <= on:
        raise PeopleError(_("上位所属 %(code)s は廃止されています。") % {"code": parent.code})
    if parent is not None and (parent.pk == department.pk or parent.path.startswith(department.path)):
        raise PeopleError(_("自分自身やその下位所属の下には移せません。"))
    if (parent.pk if parent else None) == department.parent_id:
        raise PeopleError(_("上位所属が変わっていません。"))
    everything = list(Department.objects.select_for_update(of=("self",)).filter(municipality=municipality))
    parent_of = {d.pk: d.parent_id for d in everything}
    before = {d.pk: (d.parent_id, d.path, d.depth) for d in everything}
    parent_of[department.pk] = parent.pk if parent else None
    after = tree_positions(parent_of)
    moved = {pk: position for pk, position in after.items() if position != before[pk]}
    if max(depth for _p, _path, depth in moved.values()) > DEPARTMENT_DEPTH_MAX:
        raise PeopleError(_("階層が深すぎます（%(max)s階層まで）。") % {"max": DEPARTMENT_DEPTH_MAX})
    old_parent = Department.objects.filter(pk=department.parent_id).values_list("code", flat=True).first() or ""
    placements_write(moved=moved, before=before, on=on, user=user)
    if on <= timezone.localdate():
        _tree_set(everything, after)
        department.refresh_from_db()
    log(
        instance=department,
        action="people.department_moved",
        user=user,
        data={
            "code": department.code,
            "from": old_parent,
            "to": parent.code if parent else "",
            "on": on.isoformat(),
            "below": sorted(d.code for d in everything if d.pk in moved and d.pk != department.pk),
        },
    )
    return department


def _retire_checks(department: Department, on: datetime.date, *, moving_staff: bool) -> None:
    if department.retired_on is not None:
        raise PeopleError(_("%(code)s は既に廃止されています。") % {"code": department.code})
    children = Department.objects.filter(parent=department).filter(retired_on__isnull=True)
    if children.exists():
        raise PeopleError(
            _("%(code)s には廃止されていない下位所属（%(children)s）があります。先に下位所属を廃止か統合してください。")
            % {"code": department.code, "children": "、".join(children.order_by("code").values_list("code", flat=True))}
        )
    if not moving_staff and DepartmentMembership.objects.filter(department=department).on(on).exists():
        raise PeopleError(
            _("%(code)s には %(day)s に所属する職員がいます。廃止ではなく統合を選ぶか、先に異動させてください。")
            % {"code": department.code, "day": date_display(on)}
        )


@transaction.atomic
def department_retire(*, department: Department, on: datetime.date, user: User | None = None) -> Department:
    """Abolish a department from `on`: it must have no one in it on that day and no live
    department below it. Its history (names, memberships, records) stays. Logged."""
    _lock_municipality(department.municipality_id)
    department = _department_locked(department)
    _retire_checks(department, on, moving_staff=False)
    if DepartmentMembership.objects.filter(department=department, valid_from__gt=on).exists():
        raise PeopleError(_("%(code)s には廃止日より後に着任する職員がいます。") % {"code": department.code})
    department.retired_on = on
    department.save(update_fields=["retired_on"])
    log(
        instance=department,
        action="people.department_retired",
        user=user,
        data={"code": department.code, "on": on.isoformat()},
    )
    return department


@transaction.atomic
def department_merge(
    *, department: Department, into: Department, on: datetime.date, user: User | None = None
) -> Department:
    """Merge `department` into `into` from `on`: everyone in it on that day (or arriving later)
    moves to `into` in their department history, their open assignments follow them (they belong
    to the person), and `department` is retired with `merged_into` set. A date in the future is
    recorded now; the people's current department changes on that day (`department_changes_apply`).
    Its 所属長 post is vacated. Logged people.department_merged with the people moved."""
    if into.municipality_id != department.municipality_id:
        raise PeopleError(_("統合先が別の自治体に属しています。"))
    if into.pk == department.pk:
        raise PeopleError(_("同じ所属には統合できません。"))
    _lock_municipality(department.municipality_id)
    department = _department_locked(department)
    into = _department_locked(into)
    if into.retired_on is not None and into.retired_on <= on:
        raise PeopleError(_("統合先 %(code)s は廃止されています。") % {"code": into.code})
    if into.path.startswith(department.path):
        raise PeopleError(_("下位所属には統合できません。"))
    _retire_checks(department, on, moving_staff=True)
    rows = list(
        DepartmentMembership.objects.filter(department=department)
        .filter(valid_to__isnull=True)
        .select_related("staff")
        .order_by("staff_id")
    )
    # A later row in the department (someone arriving after `on`) is rewritten by _memberships_change.
    moves = {row.staff_id: into.pk for row in rows}
    staff = list(StaffMember.objects.select_for_update(of=("self",)).filter(pk__in=moves).order_by("pk"))
    _memberships_change(on=on, moves=moves)
    department.retired_on = on
    department.merged_into = into
    department.save(update_fields=["retired_on", "merged_into"])
    _current_departments_follow(
        municipality_id=department.municipality_id, staff=staff, on=on, user=user, source="merge"
    )
    log(
        instance=department,
        action="people.department_merged",
        user=user,
        data={
            "code": department.code,
            "into": into.code,
            "on": on.isoformat(),
            "staff": sorted(member.staff_number for member in staff),
        },
    )
    return department


def _current_departments_follow(
    *,
    municipality_id: int,
    staff: list[StaffMember],
    on: datetime.date,
    user: User | None,
    source: str,
    today: datetime.date | None = None,
) -> list[int]:
    """When `on` has come (by `today`), set each person's current department to their open history
    row's (a 所属長 whose department changes leaves the post vacant) and tell the training app."""
    today = today or timezone.localdate()
    if on > today or not staff:
        return []
    from .appointments import head_post_vacated

    open_rows = dict(
        DepartmentMembership.objects.open()
        .filter(staff_id__in=[m.pk for m in staff], valid_from__lte=today)
        .values_list("staff_id", "department_id")
    )
    moved = []
    for member in staff:
        target = open_rows.get(member.pk)
        if target is None or target == member.department_id:
            continue
        old_department = Department.objects.get(pk=member.department_id)
        vacated = member.role == StaffMember.Role.DEPARTMENT_HEAD
        member.department_id = target
        if vacated:
            member.role = StaffMember.Role.EMPLOYEE
        member.save(update_fields=["department", "role"])
        if vacated:
            head_post_vacated(staff=member, department=old_department, by=user, source=source)
        moved.append(member.pk)
    if moved:
        municipality = Municipality.objects.get(pk=municipality_id)
        _roster_changed(municipality=municipality, on=on, transferred=moved)
    return moved


@transaction.atomic
def department_changes_apply(*, municipality: Municipality, on: datetime.date | None = None) -> dict[str, int]:
    """Changes recorded for a future day that has now come (run daily by
    `manage.py apply_department_history`): each department's current name becomes its name on
    `on`, and people whose history moved them (a merge) get that department as current."""
    on = on or timezone.localdate()
    _lock_municipality(municipality.pk)
    names = dict(
        DepartmentName.objects.on(on).filter(department__municipality=municipality).values_list("department_id", "name")
    )
    renamed = []
    for department in Department.objects.select_for_update(of=("self",)).filter(municipality=municipality):
        name = names.get(department.pk)
        if name is not None and name != department.name:
            department.name = name
            renamed.append(department)
    Department.objects.bulk_update(renamed, ["name"], batch_size=1000)
    # Moves whose day has come: the tree of `on` from the placement history (a department without
    # a row keeps its parent), every path recomputed from the parents.
    departments = list(Department.objects.filter(municipality=municipality).order_by())
    parents = dict(
        DepartmentPlacement.objects.on(on)
        .filter(department__municipality=municipality)
        .values_list("department_id", "parent_id")
    )
    placed = _tree_set(departments, tree_positions({d.pk: parents.get(d.pk, d.parent_id) for d in departments}))
    drifted = (
        DepartmentMembership.objects.open()
        .filter(staff__municipality=municipality, staff__is_active=True, valid_from__lte=on)
        .exclude(staff__department_id=F("department_id"))
        .values_list("staff_id", flat=True)
    )
    staff = list(StaffMember.objects.select_for_update(of=("self",)).filter(pk__in=list(drifted)).order_by("pk"))
    moved = _current_departments_follow(
        municipality_id=municipality.pk, staff=staff, on=on, user=None, source="department_history", today=on
    )
    left = _leavers_deactivate(municipality=municipality, on=on)
    if renamed or moved or placed or left:
        log(
            instance=municipality,
            action="people.department_history_applied",
            user=None,
            data={
                "on": on.isoformat(),
                "renamed": sorted(d.code for d in renamed),
                "moved": len(moved),
                "placed": sorted(d.code for d in placed),
                "deactivated": len(left),
            },
        )
    return {"renamed": len(renamed), "moved": len(moved), "placed": len(placed), "deactivated": len(left)}


def _leavers_deactivate(*, municipality: Municipality, on: datetime.date) -> list[int]:
    """People still 在職 whose department history ended by `on` with no row after it: a retirement
    a reorganisation import dated ahead recorded (decision 0045), made real on its day."""
    from .services import staff_deactivate

    leavers = (
        StaffMember.objects.filter(municipality=municipality, is_active=True, memberships__valid_to__lte=on)
        .exclude(memberships__valid_to__isnull=True)
        .exclude(memberships__valid_to__gt=on)
        .distinct()
        .order_by("pk")
    )
    left = []
    for member in leavers:
        last = member.memberships.order_by("-valid_to").values_list("valid_to", flat=True).first()
        staff_deactivate(staff=member, on=last, user=None)
        left.append(member.pk)
    return left


@transaction.atomic
def membership_start_correct(
    *, membership: DepartmentMembership, valid_from: datetime.date, user: User | None = None
) -> DepartmentMembership:
    """Correct the day a department-history row starts (a 着任日 entered wrongly). The row before
    it, when it ended exactly there, ends on the new day instead; refused when the row would end
    before it starts or overlap the row before. The first row's start is the person's 着任日, so
    `StaffMember.start_date` follows it. Logged people.membership_start_corrected."""
    staff = StaffMember.objects.select_for_update(of=("self",)).get(pk=membership.staff_id)
    rows = list(DepartmentMembership.objects.select_for_update().filter(staff=staff).order_by("valid_from"))
    index = next((i for i, row in enumerate(rows) if row.pk == membership.pk), None)
    if index is None:
        raise PeopleError(_("所属履歴が見つかりません。"))
    row = rows[index]
    old = row.valid_from
    if valid_from == old:
        raise PeopleError(_("開始日が変わっていません。"))
    if row.valid_to is not None and valid_from >= row.valid_to:
        raise PeopleError(
            _("開始日 %(day)s はこの所属履歴の終了日 %(end)s 以降になるため、設定できません。")
            % {"day": date_display(valid_from), "end": date_display(row.valid_to)}
        )
    previous = rows[index - 1] if index > 0 else None
    adjacent = previous is not None and previous.valid_to == old
    if previous is not None:
        if adjacent and valid_from <= previous.valid_from:
            raise PeopleError(
                _("開始日 %(day)s は前の所属履歴（%(start)s から）の開始日以前になるため、設定できません。")
                % {"day": date_display(valid_from), "start": date_display(previous.valid_from)}
            )
        if not adjacent and valid_from < previous.valid_to:
            raise PeopleError(
                _("開始日 %(day)s は前の所属履歴（%(end)s まで）と重なるため、設定できません。")
                % {"day": date_display(valid_from), "end": date_display(previous.valid_to)}
            )
    if adjacent:
        previous.valid_to = valid_from
        previous.save(update_fields=["valid_to"])
    row.valid_from = valid_from
    row.save(update_fields=["valid_from"])
    data = {"department": row.department.code, "from": old.isoformat(), "to": valid_from.isoformat()}
    if adjacent:
        data["previous_ends"] = valid_from.isoformat()
    if index == 0:
        staff.start_date = valid_from
        staff.save(update_fields=["start_date"])
        data["start_date"] = valid_from.isoformat()
    log(instance=staff, action="people.membership_start_corrected", user=user, data=data)
    return row


def staff_start_date_correct(*, staff: StaffMember, start_date: datetime.date, user: User | None = None) -> StaffMember:
    """Correct a person's 着任日: the start of their first department-history row moves with it."""
    first = DepartmentMembership.objects.filter(staff=staff).order_by("valid_from").first()
    if first is None:
        raise PeopleError(_("この職員には所属履歴がありません。"))
    membership_start_correct(membership=first, valid_from=start_date, user=user)
    return StaffMember.objects.get(pk=staff.pk)
