"""Writes for municipalities, departments and staff. Views and commands call these, never .save()."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from wagtail.log_actions import log

from . import roster
from .models import (
    Department,
    DepartmentMembership,
    Municipality,
    RosterImport,
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
    staff.save(update_fields=["department"])
    log(
        instance=staff,
        action="people.staff_transferred",
        user=user,
        data={"from": old.code, "to": department.code, "on": on.isoformat()},
    )
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


# --- roster import -------------------------------------------------------------------------


# Fields a roster line may change, by the names Plan.changes uses (department: the FK's name).
STAFF_FIELDS = ("name", "kana", "employment_type", "start_date", "department")


PURGED_MESSAGE = gettext_noop(
    "このファイルは保存期間を過ぎたため削除しました。取り込むには、ファイルをもう一度アップロードしてください。"
)


class RosterPlanChanged(PeopleError):
    """The data changed between the dry run and the commit; `plan` is what the file would do now."""

    def __init__(self, message: str, plan: roster.Plan):
        super().__init__(message)
        self.plan = plan


def roster_import_create(
    *, municipality: Municipality, kind: str, file_name: str, content: bytes, user: User | None
) -> RosterImport:
    """Read and plan an uploaded file (the dry run) and keep it for the commit. Writes nothing but the
    upload itself; a file that cannot be read at all is refused with PeopleError and not kept."""
    try:
        plan = roster.plan_for(kind=kind, municipality=municipality, content=content, user=user)
    except roster.RosterFileError as exc:
        raise PeopleError(str(exc)) from exc
    return RosterImport.objects.create(
        municipality=municipality,
        kind=kind,
        file_name=file_name[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        encoding=plan.encoding,
        plan_digest=plan.digest,
        summary=plan.summary(),
        uploaded_by=user,
    )


def roster_import_plan(*, roster_import: RosterImport, user: User | None = None) -> roster.Plan:
    """The stored file planned again against today's data (the error list download, the commit)."""
    if roster_import.content_purged_at is not None:
        raise PeopleError(_(PURGED_MESSAGE))
    return roster.plan_for(
        kind=roster_import.kind,
        municipality=roster_import.municipality,
        content=bytes(roster_import.content),
        user=user,
        on=timezone.localdate(),
    )


@transaction.atomic
def roster_import_refresh(*, roster_import: RosterImport, plan: roster.Plan) -> RosterImport:
    """Keep a newer dry run of a file not yet committed (after a commit found the data changed)."""
    locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
    if locked.status == RosterImport.Status.DRY_RUN:
        locked.summary = plan.summary()
        locked.plan_digest = plan.digest
        locked.save(update_fields=["summary", "plan_digest"])
    return locked


def roster_import_commit(*, roster_import: RosterImport, plan_digest: str, user: User | None) -> RosterImport:
    """Apply a dry-run import, all of it or nothing: the stored file is planned again under a lock
    on the municipality; any error line, a plan that differs from the one confirmed (`plan_digest`)
    or a second commit is refused. Sends roster_changed and logs people.roster_imported."""
    with transaction.atomic():
        municipality = Municipality.objects.select_for_update().get(pk=roster_import.municipality_id)
        locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
        if locked.content_purged_at is not None:
            raise PeopleError(_(PURGED_MESSAGE))
        if locked.status != RosterImport.Status.DRY_RUN:
            raise PeopleError(_("このファイルは既に取り込まれています。"))
        if locked.dry_run_expired:
            # The re-plan below catches changes in this database only; a day-old export from the
            # personnel system may itself be out of date, so a fresh file is asked for.
            raise PeopleError(
                _(
                    "アップロードから1日以上たった確認結果は取り込めません。その後に名簿が変わっているかもしれないため、"
                    "最新のファイルをもう一度アップロードしてください。"
                )
            )
        on = timezone.localdate()
        try:
            plan = roster.plan_for(
                kind=locked.kind, municipality=municipality, content=bytes(locked.content), user=user, on=on
            )
        except roster.RosterFileError as exc:
            raise PeopleError(str(exc)) from exc
        if plan.has_errors:
            raise PeopleError(
                _(
                    "エラーのある行が%(count)s件あるため、取り込めません。ファイルを直して、もう一度アップロードしてください。"
                )
                % {"count": len(plan.errors)}
            )
        if plan.digest != plan_digest:
            raise RosterPlanChanged(
                _(
                    "確認した後に職員・所属のデータが変わったため、取り込みませんでした。"
                    "最新の確認結果を表示しています。内容を確かめて、もう一度「取り込む」を押してください。"
                ),
                plan,
            )
        if locked.kind == RosterImport.Kind.STAFF:
            result = _staff_plan_apply(plan, on=on)
            _roster_changed(municipality=municipality, on=on, **result)
            action = "people.roster_imported"
        else:
            _department_plan_apply(plan)
            action = "people.departments_imported"
        counts = {kind: count for kind, count in plan.counts().items() if count}
        locked.status = RosterImport.Status.COMMITTED
        locked.committed_by = user
        locked.committed_at = timezone.now()
        locked.summary = {**plan.summary(), "committed_on": on.isoformat()}
        locked.plan_digest = plan.digest
        locked.save(update_fields=["status", "committed_by", "committed_at", "summary", "plan_digest"])
        log(
            instance=locked,
            action=action,
            user=user,
            data={"file_name": locked.file_name, "lines": plan.line_count, "counts": counts, "on": on.isoformat()},
        )
    return locked


@dataclass(frozen=True)
class RosterPurgeResult:
    purged: int  # committed imports whose file was emptied
    deleted: int  # dry runs never committed, deleted


def roster_imports_purge(*, older_than: datetime.timedelta) -> RosterPurgeResult:
    """Retention of the uploaded files (names and addresses of every employee): imports uploaded
    more than `older_than` ago lose their bytes, keeping the row, file name, SHA-256, summary, who
    and when as the audit trail (logged people.roster_import_purged); dry runs never committed are
    deleted. Run daily by `manage.py purge_roster_imports`."""
    if older_than < RosterImport.DRY_RUN_MAX_AGE:
        raise PeopleError(_("保存期間は1日以上にしてください。"))
    now = timezone.now()
    with transaction.atomic():
        # Locked, so a commit running now either finishes first (and its file is purged) or waits
        # and then finds the import purged or deleted.
        rows = list(
            RosterImport.objects.select_for_update()
            .filter(uploaded_at__lt=now - older_than, content_purged_at__isnull=True)
            .only("pk", "kind", "file_name", "status", "uploaded_at")
            .order_by("pk")
        )
        committed = [r for r in rows if r.status == RosterImport.Status.COMMITTED]
        dry_runs = [r.pk for r in rows if r.status == RosterImport.Status.DRY_RUN]
        for start in range(0, len(committed), roster.IN_CHUNK):
            chunk = committed[start : start + roster.IN_CHUNK]
            RosterImport.objects.filter(pk__in=[r.pk for r in chunk]).update(content=b"", content_purged_at=now)
        for start in range(0, len(dry_runs), roster.IN_CHUNK):
            chunk = dry_runs[start : start + roster.IN_CHUNK]
            RosterImport.objects.filter(pk__in=chunk).defer("content", "summary").delete()
        for item in committed:
            log(
                instance=item,
                action="people.roster_import_purged",
                user=None,
                data={"file_name": item.file_name, "uploaded_at": item.uploaded_at.isoformat()},
            )
    return RosterPurgeResult(purged=len(committed), deleted=len(dry_runs))


def _staff_plan_apply(plan: roster.Plan, *, on: datetime.date) -> dict[str, list[int]]:
    """Write a staff plan with bulk statements; the pks for roster_changed."""
    municipality = plan.municipality
    creates = plan.of_kind(roster.CREATE)
    users = [
        User(
            username=login_username(municipality.code, row.number),
            email=row.email,
            first_name=row.name[:150],
            last_name="",
            # What set_unusable_password() stores ("!" + 40 random characters), without its cost
            # of 40 secrets.choice() calls per person.
            password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20),
        )
        for row in creates
    ]
    User.objects.bulk_create(users, batch_size=1000)
    created = [
        StaffMember(
            user=user,
            municipality=municipality,
            staff_number=row.number,
            name=row.name,
            kana=row.kana,
            department_id=row.department_id,
            employment_type=row.employment_type,
            start_date=row.start_date,
        )
        for row, user in zip(creates, users, strict=True)
    ]
    StaffMember.objects.bulk_create(created, batch_size=1000)

    changed = [r for r in plan.rows if r.existing is not None and r.kind != roster.UNCHANGED]
    # One UPDATE per set of changed fields (most rows change one field), not every field of every row.
    staff_updates: dict[tuple[str, ...], list[StaffMember]] = defaultdict(list)
    user_updates, address_users = [], []
    for row in changed:
        current = row.existing
        fields = [name for name in STAFF_FIELDS if name in row.changes]
        if row.kind in (roster.DEACTIVATE, roster.REACTIVATE):
            fields.append("is_active")
        if row.demote:
            fields.append("role")  # in the UPDATE that deactivates them (the check constraint)
        staff_updates[tuple(fields)].append(
            StaffMember(
                pk=current.pk,
                name=row.name,
                kana=row.kana,
                department_id=row.department_id,
                employment_type=row.employment_type,
                start_date=row.start_date,
                is_active=row.active,
                role=StaffMember.Role.EMPLOYEE if row.demote else current.role,
            )
        )
        if row.kind in (roster.DEACTIVATE, roster.REACTIVATE) or {"name", "email"} & row.changes.keys():
            user_updates.append(
                User(
                    pk=current.user_id,
                    first_name=row.name[:150],
                    email=row.changes["email"][1] if "email" in row.changes else current.email,
                    is_active=row.active if row.kind in (roster.DEACTIVATE, roster.REACTIVATE) else current.user_active,
                )
            )
        if "email" in row.changes:
            address_users.append(current.user_id)
    for fields, members in staff_updates.items():
        if fields:
            StaffMember.objects.bulk_update(members, fields, batch_size=1000)
    User.objects.bulk_update(user_updates, ["first_name", "email", "is_active"], batch_size=1000)
    for start in range(0, len(address_users), roster.IN_CHUNK):
        EmailAddress.objects.filter(user_id__in=address_users[start : start + roster.IN_CHUNK]).delete()
    new_addresses = [
        EmailAddress(user_id=row.existing.user_id, email=row.changes["email"][1], primary=True, verified=True)
        for row in changed
        if "email" in row.changes
    ] + [
        EmailAddress(user=user, email=row.email, primary=True, verified=True)
        for row, user in zip(creates, users, strict=True)
        if row.email
    ]
    EmailAddress.objects.bulk_create(new_addresses, batch_size=1000)

    DepartmentMembership.objects.bulk_create(
        [
            DepartmentMembership(staff=member, department_id=member.department_id, valid_from=member.start_date)
            for member in created
        ],
        batch_size=1000,
    )
    transferred = [r.existing.pk for r in changed if r.kind == roster.TRANSFER]
    deactivated = [r.existing.pk for r in changed if r.kind == roster.DEACTIVATE]
    reactivated = [r.existing.pk for r in changed if r.kind == roster.REACTIVATE]
    moves = {r.existing.pk: r.department_id for r in changed if r.kind in (roster.TRANSFER, roster.REACTIVATE)}
    _memberships_change(on=on, moves=moves, ends=deactivated)
    return {
        "created": [member.pk for member in created],
        "transferred": transferred,
        "deactivated": deactivated,
        "reactivated": reactivated,
    }


def _department_plan_apply(plan: roster.Plan) -> None:
    """Write a department plan: new departments first, then every department whose name, parent,
    path or depth differs from the tree the file describes (a moved subtree gets new paths)."""
    municipality = plan.municipality
    Department.objects.bulk_create(
        [
            Department(municipality=municipality, code=row.code, name=row.name, path="/", depth=1)
            for row in plan.of_kind(roster.CREATE)
        ],
        batch_size=1000,
    )
    departments = {d.code: d for d in Department.objects.filter(municipality=municipality).order_by()}
    by_pk = {d.pk: d for d in departments.values()}
    parent_code = {code: by_pk[d.parent_id].code if d.parent_id else "" for code, d in departments.items()}
    names = {code: d.name for code, d in departments.items()}
    for row in plan.rows:
        parent_code[row.code] = row.parent_code
        names[row.code] = row.name
    paths: dict[str, tuple[str, int]] = {}

    def path_of(code: str) -> tuple[str, int]:
        if code not in paths:
            chain = []
            walk = code
            while walk and walk not in paths:
                chain.append(walk)
                walk = parent_code[walk]
            prefix, depth = paths[walk] if walk else ("/", 0)
            for item in reversed(chain):
                prefix, depth = f"{prefix}{departments[item].pk}/", depth + 1
                paths[item] = (prefix, depth)
        return paths[code]

    changed = []
    for code, department in departments.items():
        path, depth = path_of(code)
        parent = departments[parent_code[code]] if parent_code[code] else None
        parent_id = parent.pk if parent else None
        if (department.name, department.parent_id, department.path, department.depth) != (
            names[code],
            parent_id,
            path,
            depth,
        ):
            if len(path) > Department._meta.get_field("path").max_length:
                raise PeopleError(_("所属「%(code)s」の階層が深すぎます。") % {"code": code})
            department.name, department.parent_id, department.path, department.depth = (
                names[code],
                parent_id,
                path,
                depth,
            )
            changed.append(department)
    Department.objects.bulk_update(changed, ["name", "parent", "path", "depth"], batch_size=1000)
