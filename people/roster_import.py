"""Writes of the roster import: keeping an upload (the dry run), committing it all or nothing, and
purging old uploads (docs/decisions/0012). The planning is in people/roster/; the single-person
writes in people/services.py, which re-exports these names."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from wagtail.log_actions import log

from . import roster
from .models import (
    Department,
    DepartmentMembership,
    DepartmentName,
    Municipality,
    RosterImport,
    StaffMember,
    User,
    login_username,
)
from .services import PeopleError, _memberships_change, _roster_changed

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
    *,
    municipality: Municipality,
    kind: str,
    file_name: str,
    content: bytes,
    user: User | None,
    retire_missing: bool = False,
    effective_on: datetime.date | None = None,
    departments_file_name: str = "",
    departments_content: bytes = b"",
) -> RosterImport:
    """Read and plan an uploaded file (the dry run) and keep it for the commit. Writes nothing but the
    upload itself; a file that cannot be read at all is refused with PeopleError and not kept.
    `retire_missing` (staff rosters only): the file is the whole roster, and whoever it does not
    name is retired by the commit. `effective_on` (department masters only, decision 0039): the day
    its renames, merges and abolitions take effect, also ahead (the April reorganisation in March).
    Kind REORGANISATION (decision 0045): `content` is the roster and `departments_content` the
    master, planned and later committed together; dated ahead, the roster's transfers and
    retirements wait for the day as the master's changes do (`department_changes_apply`)."""
    combined = kind == RosterImport.Kind.REORGANISATION
    retire_missing = bool(retire_missing) and kind in (RosterImport.Kind.STAFF, RosterImport.Kind.REORGANISATION)
    if effective_on is not None and kind == RosterImport.Kind.STAFF:
        raise PeopleError(_("適用日を指定できるのは所属マスタだけです。"))
    if combined and not departments_content:
        raise PeopleError(_("所属マスタのファイルを選んでください。"))
    if not combined:
        departments_file_name, departments_content = "", b""
    try:
        plan = roster.plan_for(
            kind=kind,
            municipality=municipality,
            content=content,
            user=user,
            retire_missing=retire_missing,
            on=effective_on,
            departments_content=departments_content,
        )
    except roster.RosterFileError as exc:
        raise PeopleError(str(exc)) from exc
    return RosterImport.objects.create(
        municipality=municipality,
        kind=kind,
        file_name=file_name[:255],
        content=content,
        departments_file_name=departments_file_name[:255],
        departments_content=departments_content,
        sha256=hashlib.sha256(content).hexdigest(),
        encoding=plan.encoding,
        plan_digest=plan.digest,
        summary=plan.summary(),
        uploaded_by=user,
        retire_missing=retire_missing,
        effective_on=effective_on,
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
        on=roster_import.effective_on or timezone.localdate(),
        retire_missing=roster_import.retire_missing,
        departments_content=bytes(roster_import.departments_content),
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


def roster_import_commit(
    *, roster_import: RosterImport, plan_digest: str, user: User | None, choices: dict[int, str] | None = None
) -> RosterImport:
    """Apply a dry-run import, all of it or nothing: the stored file is planned again under a lock
    on the municipality; any error line, a plan that differs from the one confirmed (`plan_digest`)
    or a second commit is refused. A line flagged as resembling a registered person needs HR's
    choice in `choices` (line → "new" / "same:<number>"); while one is missing nothing is written.
    Sends roster_changed and logs people.roster_imported."""
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
        on = locked.effective_on or timezone.localdate()
        options = {"kind": locked.kind, "municipality": municipality, "content": bytes(locked.content)}
        options.update(user=user, on=on, retire_missing=locked.retire_missing)
        options.update(departments_content=bytes(locked.departments_content))
        try:
            plan = roster.plan_for(**options)
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
        if plan.resembling:
            # The plan HR confirmed is the one above; now with their choice for each warned line.
            plan = roster.plan_for(**options, choices=choices or {})
            _choices_check(plan)
        if locked.kind == RosterImport.Kind.REORGANISATION:
            _department_plan_apply(plan.departments, on=on, user=user)
            staff = _staff_plan_after_master(plan, options=options, choices=choices)
            if on > timezone.localdate():
                roster.dated_ahead(staff, on=on)
            result = _staff_plan_apply(staff, on=on, user=user, ahead=on > timezone.localdate())
            _roster_changed(municipality=municipality, on=on, **result)
            plan = roster.CombinedPlan(departments=plan.departments, staff=staff)
            action = "people.reorganisation_imported"
        elif locked.kind == RosterImport.Kind.STAFF:
            result = _staff_plan_apply(plan, on=on, user=user)
            _roster_changed(municipality=municipality, on=on, **result)
            action = "people.roster_imported"
        else:
            _department_plan_apply(plan, on=on, user=user)
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
            data={
                "file_name": locked.file_name,
                "lines": plan.line_count,
                "counts": counts,
                "on": on.isoformat(),
                **({"departments_file_name": locked.departments_file_name} if locked.departments_file_name else {}),
                **_choices_logged(plan.staff if isinstance(plan, roster.CombinedPlan) else plan),
            },
        )
    return locked


def _staff_plan_after_master(plan: roster.CombinedPlan, *, options: dict, choices) -> roster.Plan:
    """The roster planned again once the master's departments are written (real pks now), in the
    commit's transaction; it must do what the confirmed dry run said, line for line, or nothing
    of either file is written."""
    staff = roster.staff_plan(
        municipality=options["municipality"],
        content=options["content"],
        user=options["user"],
        on=options["on"],
        choices=choices or {},
        retire_missing=options["retire_missing"],
        # Dated ahead the master's merges and renames are written but not yet current: the roster
        # is planned against them as the dry run was.
        after=roster.Reorganisation.of(plan.departments) if options["on"] > timezone.localdate() else None,
    )
    if staff.has_errors or staff.digest_by_code() != plan.staff.digest_by_code():
        raise PeopleError(
            _(
                "所属マスタを反映した後の職員名簿が、確認した内容と一致しませんでした。何も取り込んでいません。"
                "ファイルをもう一度アップロードしてください。"
            )
        )
    return staff


def _choices_check(plan: roster.Plan) -> None:
    """Refuse a commit while a warned line has no choice, or a choice made a line wrong."""
    if plan.unresolved:
        raise PeopleError(
            _(
                "警告のある行が%(count)s件あります（%(lines)s）。それぞれ「別人として新規登録する」か"
                "「既存の職員の番号の誤りとして扱う」かを選んでから、取り込んでください。"
            )
            % {"count": len(plan.unresolved), "lines": "、".join(f"{r.line}行目" for r in plan.unresolved[:10])}
        )
    if plan.has_errors:
        raise PeopleError(
            _("選んだ内容では取り込めない行があります：%(errors)s")
            % {"errors": "".join(f"{e.line}行目：{e.message}" for e in plan.errors[:10])}
        )


def _choices_logged(plan: roster.Plan) -> dict:
    """The audit entry's record of each warned line and what HR chose, and who was retired as missing."""
    data = {}
    if plan.resembling:
        data["choices"] = [
            {
                "line": r.line,
                "number": r.written_number or r.number,
                "resembles": r.resembles.number,
                "reason": r.resemblance,
                "choice": r.choice,
            }
            for r in plan.resembling
        ]
    retired = [r.number for r in plan.rows if getattr(r, "retired_missing", False)]
    if plan.retire_missing:
        data["retire_missing"] = True
        data["retired_missing"] = retired
    return data


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
            RosterImport.objects.filter(pk__in=[r.pk for r in chunk]).update(
                content=b"", departments_content=b"", content_purged_at=now
            )
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


def _staff_plan_apply(
    plan: roster.Plan, *, on: datetime.date, user: User | None = None, ahead: bool = False
) -> dict[str, list[int]]:
    """Write a staff plan with bulk statements; the pks for roster_changed. Pinned to write what
    the single-person services write (tests/people/test_roster_apply_equivalence.py). `ahead`
    (a reorganisation dated ahead, decision 0045): transfers and retirements are written to the
    department history from `on` only; the current department, 在職 and 所属長 posts change on
    the day (`department_changes_apply`), which also tells the training app then."""
    creates = plan.of_kind(roster.CREATE)
    users, created = _staff_rows_create(plan.municipality, creates)
    changed = [r for r in plan.rows if r.existing is not None and r.kind != roster.UNCHANGED]
    address_users = _staff_rows_update(changed, ahead=ahead)
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
            DepartmentMembership(
                staff=member,
                department_id=member.department_id,
                valid_from=max(member.start_date, on) if ahead else member.start_date,
            )
            for member in created
        ],
        batch_size=1000,
    )
    transferred = [r.existing.pk for r in changed if r.kind == roster.TRANSFER]
    deactivated = [r.existing.pk for r in changed if r.kind == roster.DEACTIVATE]
    reactivated = [r.existing.pk for r in changed if r.kind == roster.REACTIVATE]
    moves = {r.existing.pk: r.department_id for r in changed if r.kind in (roster.TRANSFER, roster.REACTIVATE)}
    _memberships_change(on=on, moves=moves, ends=deactivated)
    _staff_roles_apply(plan, creates=list(zip(creates, created, strict=True)), changed=changed, user=user, ahead=ahead)
    if ahead:
        transferred, deactivated = [], []
    return {
        "created": [member.pk for member in created],
        "transferred": transferred,
        "deactivated": deactivated,
        "reactivated": reactivated,
    }


def _staff_roles_apply(
    plan: roster.Plan, *, creates: list, changed: list, user: User | None, ahead: bool = False
) -> None:
    """The 役割 column and vacated 所属長 posts (decision 0027), after the rows are written: first
    every role that is not 所属長, then the new heads, so one department never has two for a moment
    (people.StaffMember's one_head_per_department). Each change logged like an appointment on screen."""
    from .appointments import DEPARTMENT_HEAD, head_post_vacated, role_changed_record

    vacated = [] if ahead else [row for row in changed if row.demote]  # ahead: on the day
    role_rows = [(row, row.existing.pk) for row in changed if "role" in row.changes]
    role_rows += [(row, member.pk) for row, member in creates if "role" in row.changes]
    if not vacated and not role_rows:
        return
    for later in (False, True):
        for row, pk in role_rows:
            new = row.changes["role"][1]
            if (new == DEPARTMENT_HEAD) == later:
                StaffMember.objects.filter(pk=pk).update(role=new)
    pks = [row.existing.pk for row in vacated] + [pk for _row, pk in role_rows]
    members = StaffMember.objects.select_related("user", "department").in_bulk(pks)
    departments = Department.objects.in_bulk({row.existing.department_id for row in vacated})
    source = "roster"
    for row in vacated:
        member = members[row.existing.pk]
        head_post_vacated(
            staff=member,
            department=departments[row.existing.department_id],
            by=user,
            source=source if row.kind == roster.TRANSFER else "deactivation",
        )
    for row, pk in role_rows:
        member = members[pk]
        old, new = row.changes["role"]
        if old != StaffMember.Role.EMPLOYEE:
            role_changed_record(staff=member, role=old, action="remove", by=user, previous=old, source=source)
        if new != StaffMember.Role.EMPLOYEE:
            department = member.department if new == DEPARTMENT_HEAD else None
            role_changed_record(
                staff=member, role=new, action="appoint", by=user, department=department, previous=old, source=source
            )


def _staff_rows_create(municipality, creates: list) -> tuple[list[User], list[StaffMember]]:
    """The new people's log-ins and staff records, in two bulk INSERTs."""
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
    return users, created


def _staff_rows_update(changed: list, *, ahead: bool = False) -> list[int]:
    """The changed people's staff and user rows, one UPDATE per set of changed fields (most rows
    change one field), not every field of every row; the users whose address changes. `ahead`: a
    transferee's current department and a leaver's 在職 and post stay as they are until the day."""
    staff_updates: dict[tuple[str, ...], list[StaffMember]] = defaultdict(list)
    user_updates, address_users = [], []
    for row in changed:
        current = row.existing
        fields = [name for name in STAFF_FIELDS if name in row.changes]
        waits = ahead and row.kind in (roster.TRANSFER, roster.DEACTIVATE)
        if waits:
            fields = [name for name in fields if name != "department"]
        if row.kind == roster.REACTIVATE or (row.kind == roster.DEACTIVATE and not waits):
            fields.append("is_active")
        if row.demote and not waits:
            fields.append("role")  # in the UPDATE that deactivates them (the check constraint)
        staff_updates[tuple(fields)].append(
            StaffMember(
                pk=current.pk,
                name=row.name,
                kana=row.kana,
                department_id=current.department_id if waits else row.department_id,
                employment_type=row.employment_type,
                start_date=row.start_date,
                is_active=current.is_active if waits else row.active,
                role=StaffMember.Role.EMPLOYEE if row.demote and not waits else current.role,
            )
        )
        if row.kind in (roster.DEACTIVATE, roster.REACTIVATE) or {"name", "email"} & row.changes.keys():
            activity = row.kind in (roster.DEACTIVATE, roster.REACTIVATE) and not waits
            user_updates.append(
                User(
                    pk=current.user_id,
                    first_name=row.name[:150],
                    email=row.changes["email"][1] if "email" in row.changes else current.email,
                    is_active=row.active if activity else current.user_active,
                )
            )
        if "email" in row.changes:
            address_users.append(current.user_id)
    for fields, members in staff_updates.items():
        if fields:
            StaffMember.objects.bulk_update(members, fields, batch_size=1000)
    User.objects.bulk_update(user_updates, ["first_name", "email", "is_active"], batch_size=1000)
    return address_users


def _department_plan_apply(plan: roster.Plan, *, on: datetime.date, user: User | None = None) -> None:
    """Write a department plan: new departments first, then every department whose name, parent,
    path or depth differs from the tree the file describes (a moved subtree gets new paths). Name
    history (decision 0039): a new department's name since always, a rename from `on`. Place in the
    tree (decision 0045): a move is recorded from `on` for the department and everything below it;
    dated ahead, renames and moves of existing departments wait for their day
    (`department_changes_apply`), new departments are placed at once."""
    from .departments import placements_write, tree_positions

    municipality = plan.municipality
    renamed = {row.pk: row.name for row in plan.rows if row.pk is not None and "name" in row.changes}
    ahead = on > timezone.localdate()  # renames recorded now, the current name changes on the day
    Department.objects.bulk_create(
        [
            Department(municipality=municipality, code=row.code, name=row.name, path="/", depth=1)
            for row in plan.of_kind(roster.CREATE)
        ],
        batch_size=1000,
    )
    departments = {d.code: d for d in Department.objects.filter(municipality=municipality).order_by()}
    created_codes = {row.code for row in plan.of_kind(roster.CREATE)}
    before = {d.pk: (d.parent_id, d.path, d.depth) for code, d in departments.items() if code not in created_codes}
    parent_now = {d.pk: d.parent_id for d in departments.values()}
    parent_then = dict(parent_now)  # the tree from `on`
    names = {code: d.name for code, d in departments.items()}
    for row in plan.rows:
        if row.kind in (roster.MERGE, roster.RETIRE):
            continue  # its place in the tree and its name stay as they were
        parent_id = departments[row.parent_code].pk if row.parent_code else None
        parent_then[departments[row.code].pk] = parent_id
        if not (ahead and row.pk is not None):
            parent_now[departments[row.code].pk] = parent_id
            names[row.code] = row.name
    now = tree_positions(parent_now)
    then = tree_positions(parent_then) if ahead else now
    changed = []
    for code, department in departments.items():
        parent_id, path, depth = now[department.pk]
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
    # What stood elsewhere before `on` (existing departments) or will stand elsewhere from `on`
    # than where it is made today (new ones under a department moving ahead).
    was = {**{pk: now[pk] for pk in now if pk not in before}, **before}
    moved = {pk: position for pk, position in then.items() if position != was[pk]}
    placements_write(moved=moved, before=was, on=on, user=user)
    _department_names_write(created=[departments[code] for code in created_codes], renamed=renamed, on=on, user=user)
    # Merges and abolitions through the single-department services (history, people, logs),
    # the deepest first so a parent goes after its children.
    from .departments import department_merge, department_retire

    going = sorted(
        (row for row in plan.rows if row.kind in (roster.MERGE, roster.RETIRE)),
        key=lambda row: -len(departments[row.code].path),
    )
    fresh = {d.code: d for d in Department.objects.filter(municipality=municipality).order_by()}
    for row in going:
        if row.kind == roster.MERGE:
            department_merge(department=fresh[row.code], into=fresh[row.merge_into], on=on, user=user)
        else:
            department_retire(department=fresh[row.code], on=on, user=user)


def _department_names_write(*, created: list[Department], renamed: dict[int, str], on: datetime.date, user) -> None:
    """The name-history rows of a department-master commit, in bulk: the open row of each renamed
    department ends on `on` (or is rewritten when it began that day) and a new one opens."""
    rows = [
        DepartmentName(department=d, name=d.name, valid_from=DepartmentName.SINCE_ALWAYS, recorded_by=user)
        for d in created
    ]
    open_rows = {}
    pks = list(renamed)
    for start in range(0, len(pks), roster.IN_CHUNK):
        chunk = pks[start : start + roster.IN_CHUNK]
        open_rows.update((n.department_id, n) for n in DepartmentName.objects.open().filter(department_id__in=chunk))
    closed, rewritten = [], []
    for pk, name in renamed.items():
        current = open_rows.get(pk)
        if current is not None and current.valid_from >= on:
            current.name = name
            rewritten.append(current)
            continue
        if current is not None:
            current.valid_to = on
            closed.append(current)
        rows.append(DepartmentName(department_id=pk, name=name, valid_from=on, recorded_by=user))
    DepartmentName.objects.bulk_update(closed, ["valid_to"], batch_size=1000)
    DepartmentName.objects.bulk_update(rewritten, ["name"], batch_size=1000)
    DepartmentName.objects.bulk_create(rows, batch_size=1000)
