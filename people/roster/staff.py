"""The dry run of a staff roster, in three steps (pretix's importer columns are the model):
one small cleaner per column turns a line's cells into values or messages; cross-row checks find
what no single line shows (a 職員番号 or address twice in the file, an address another person
uses, a number that differs from a registered one only by case); the classification says what a
commit would do to each person. Nothing here writes."""

from __future__ import annotations

import datetime
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from ..models import Department, Municipality, StaffMember, User, login_username, staff_number_validator
from .plan import Existing, LineError, Plan, StaffRow, flag_repeats, plan_build
from .reading import (
    ACTIVE_VALUES,
    CHOICE_NEW,
    CHOICE_SAME,
    CREATE,
    DEACTIVATE,
    EMAIL_MAX,
    EMPLOYMENT_TYPES,
    IN_CHUNK,
    KANA_MAX,
    NAME,
    NAME_MAX,
    REACTIVATE,
    ROLE_VALUES,
    SKIP,
    STAFF_ALIASES,
    STAFF_COLUMNS,
    STAFF_OPTIONAL_COLUMNS,
    TRANSFER,
    UNCHANGED,
    UPDATE,
    ZEROS,
    Table,
    _cells,
    _clean,
    _fold,
    _key_cell,
    parse_date,
    read_table,
)

# --- one cleaner per column -------------------------------------------------------------------


class Column:
    """One column of the roster: `clean` returns the value and the line's problems with it."""

    header = ""

    def clean(self, raw: str, context: StaffContext) -> tuple[object, list[str]]:
        raise NotImplementedError


class StaffNumberColumn(Column):
    header = "職員番号"

    def clean(self, raw, context):
        number = _fold(raw)
        if not number:
            return number, [_("職員番号が空です。")]
        if not staff_number_validator.regex.match(number):
            return number, [str(staff_number_validator.message)]
        return number, []


class NameColumn(Column):
    header = "氏名"

    def clean(self, raw, context):
        name = _clean(raw)
        if not name:
            return name, [_("氏名が空です。")]
        if len(name) > NAME_MAX:
            return name, [_("氏名が長すぎます（%(max)s文字以内）。") % {"max": NAME_MAX}]
        return name, []


class KanaColumn(Column):
    header = "カナ"

    def clean(self, raw, context):
        kana = _fold(raw)
        if len(kana) > KANA_MAX:
            return kana, [_("カナが長すぎます（%(max)s文字以内）。") % {"max": KANA_MAX}]
        return kana, []


class DepartmentCodeColumn(Column):
    header = "所属コード"

    def clean(self, raw, context):
        code = _fold(raw)
        if not code:
            return None, [_("所属コードが空です。")]
        department_id = context.departments.get(code)
        if department_id is None and code in context.going:
            into = context.going[code]
            if into:
                return None, [
                    _(
                        "所属コード「%(code)s」は所属マスタで「%(into)s」に統合される所属です。統合先の所属コードにしてください。"
                    )
                    % {"code": code, "into": into}
                ]
            return None, [_("所属コード「%(code)s」は所属マスタで廃止される所属です。") % {"code": code}]
        if department_id is None and context.with_master:
            return None, [
                _("所属コード「%(code)s」は登録されておらず、所属マスタのファイルにもありません。") % {"code": code}
            ]
        if department_id is None:
            return None, [
                _("所属コード「%(code)s」は登録されていません（所属マスタを先に取り込んでください）。") % {"code": code}
            ]
        return department_id, []


class EmploymentTypeColumn(Column):
    header = "任用形態"

    def clean(self, raw, context):
        label = _fold(raw)
        employment_type = EMPLOYMENT_TYPES.get(label)
        if employment_type is None:
            choices = "、".join(k for k in EMPLOYMENT_TYPES if k != "再任用")
            return None, [
                _("任用形態「%(value)s」は使えません（%(choices)s のいずれか）。")
                % {"value": label, "choices": choices}
            ]
        return employment_type, []


class StartDateColumn(Column):
    header = "着任日"

    def clean(self, raw, context):
        value = _clean(raw)
        if not value:
            return None, [_("着任日が空です。")]
        start_date = parse_date(value)
        if start_date is None:
            return None, [
                _("着任日「%(value)s」は日付ではありません（YYYY-MM-DD、YYYY/MM/DD または 令和7年4月1日 の形で）。")
                % {"value": value}
            ]
        return start_date, []


class EmailColumn(Column):
    header = "メール"

    def clean(self, raw, context):
        email = _fold(raw).lower()
        if not email:
            return email, []
        if len(email) > EMAIL_MAX:
            return email, [_("メールアドレスが長すぎます（%(max)s文字以内）。") % {"max": EMAIL_MAX}]
        try:
            validate_email(email)
        except ValidationError:
            return email, [_("メールアドレス「%(value)s」の形が正しくありません。") % {"value": email}]
        return email, []


class ActiveColumn(Column):
    header = "在職"

    def clean(self, raw, context):
        active = ACTIVE_VALUES.get(_fold(raw).upper())
        if active is None:
            return None, [
                _("在職の値「%(value)s」は使えません（1/0、在職/退職、TRUE/FALSE、○/× のいずれか）。")
                % {"value": _fold(raw)}
            ]
        return active, []


class RoleColumn(Column):
    """Optional (decision 0027): 職員 / 所属長 / 人事課; an empty cell or no column keeps the role."""

    header = "役割"

    def clean(self, raw, context):
        value = _fold(raw)
        if not value:
            return None, []
        role = ROLE_VALUES.get(value.upper())
        if role is None:
            return None, [
                _("役割「%(value)s」は使えません（職員、所属長、人事課 のいずれか。空欄は変更なし）。")
                % {"value": value}
            ]
        return role, []


COLUMNS: tuple[Column, ...] = (
    StaffNumberColumn(),
    NameColumn(),
    KanaColumn(),
    DepartmentCodeColumn(),
    EmploymentTypeColumn(),
    StartDateColumn(),
    EmailColumn(),
    ActiveColumn(),
    RoleColumn(),
)


# --- what the planner reads once --------------------------------------------------------------


@dataclass
class StaffContext:
    """The municipality's data as the plan reads it: departments, staff, taken log-in names."""

    municipality: Municipality
    department_names: dict[int, tuple[str, str]]  # pk → (code, name)
    departments: dict[str, int]  # code → pk
    existing: dict[str, Existing]  # 職員番号 → the person
    taken_usernames: set[str]
    acting_user_id: int | None
    lines_by_number: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    lines_by_email: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    row_errors: dict[int, list[str]] = field(default_factory=dict)
    choices: dict[int, str] = field(default_factory=dict)  # line → "new" / "same:<number>"
    by_stripped: dict[str, Existing] = field(default_factory=dict)
    by_name: dict[tuple[str, str], Existing] = field(default_factory=dict)
    # Planned after a department master of the same upload (decision 0045): codes it abolishes or
    # merges (code → 統合先コード, "" abolished), which no line may name.
    with_master: bool = False
    going: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, municipality: Municipality, user) -> StaffContext:
        department_names = {
            pk: (code, name)
            for pk, code, name in Department.objects.filter(municipality=municipality)
            .order_by()
            .values_list("pk", "code", "name")
        }
        prefix = login_username(municipality.code, "")
        taken = User.objects.filter(username__startswith=prefix, staff_profile__isnull=True)
        return cls(
            municipality=municipality,
            department_names=department_names,
            departments={code: pk for pk, (code, _name) in department_names.items()},
            existing=_existing_staff(municipality),
            taken_usernames=set(taken.values_list("username", flat=True)),
            acting_user_id=getattr(user, "pk", None),
        )


def _existing_staff(municipality: Municipality) -> dict[str, Existing]:
    rows = (
        StaffMember.objects.filter(municipality=municipality)
        .order_by()
        .values_list(
            "pk",
            "staff_number",
            "name",
            "kana",
            "department_id",
            "employment_type",
            "start_date",
            "is_active",
            "role",
            "user_id",
            "user__email",
            "user__is_active",
        )
    )
    return {r[1]: Existing(*r[:10], (r[10] or "").lower(), r[11]) for r in rows}


def _email_owners(emails: set[str]) -> dict[str, set[int]]:
    """Which user accounts use each address (allauth's addresses and User.email, any case)."""
    owners: dict[str, set[int]] = defaultdict(set)
    values = sorted(emails)
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        for model in (EmailAddress, User):
            user_field = "user_id" if model is EmailAddress else "pk"
            found = (
                model.objects.annotate(address=Lower("email"))
                .filter(address__in=chunk)
                .order_by()
                .values_list("address", user_field)
            )
            for address, user_id in found:
                owners[address].add(user_id)
    return owners


# --- step 1: each line through the column cleaners ---------------------------------------------


def _read_lines(table: Table, context: StaffContext, errors: list[LineError]) -> list[StaffRow]:
    """A row per readable line; a line whose cells cannot be read at all is an error at once."""
    rows = []
    for line, cells in table.rows:
        values, problem = _cells(table, cells)
        if problem:
            errors.append(LineError(line, _key_cell(table, cells, "職員番号"), problem))
            continue
        cleaned, problems = {}, []
        for column in COLUMNS:
            value, column_problems = column.clean(values.get(column.header, ""), context)
            cleaned[column.header] = value
            problems += column_problems
            if not column_problems and value and column.header == "職員番号":
                context.lines_by_number[value.lower()].append(line)
            if not column_problems and value and column.header == "メール":
                context.lines_by_email[value].append(line)
        number, name, kana, email = (cleaned[h] for h in ("職員番号", "氏名", "カナ", "メール"))
        if problems:
            context.row_errors[line] = problems
            rows.append(StaffRow(line, number, name, kana, 0, "", datetime.date.min, email, False, kind="error"))
            continue
        department_id, employment_type = cleaned["所属コード"], cleaned["任用形態"]
        start_date, active = cleaned["着任日"], cleaned["在職"]
        rows.append(
            StaffRow(
                line,
                number,
                name,
                kana,
                department_id,
                employment_type,
                start_date,
                email,
                active,
                role=cleaned["役割"],
            )
        )
    return rows


# --- step 2: checks across lines ---------------------------------------------------------------


def _check_repeats(context: StaffContext) -> None:
    flag_repeats(
        context.row_errors,
        context.lines_by_number,
        lambda _number, where: _("職員番号がファイル内で重複しています（%(lines)s）。") % {"lines": where},
    )
    flag_repeats(
        context.row_errors,
        context.lines_by_email,
        lambda address, where: (
            _("メールアドレス %(email)s がファイル内で重複しています（%(lines)s）。")
            % {"email": address, "lines": where}
        ),
    )


def _match_people(rows: list[StaffRow], context: StaffContext) -> tuple[set[str], dict[str, int]]:
    """Each line's person (or why a new one cannot be made), and the addresses lines would take:
    (wanted addresses, address → the user who gives it up in this file)."""
    lower_numbers = {number.lower(): number for number in context.existing}
    claimed: dict[int, int] = {}  # registered person → the line a 「同じ人」 choice gave them
    wanted: set[str] = set()
    freed_by: dict[str, int] = {}
    for row in rows:
        if row.line in context.row_errors:
            continue
        current = context.existing.get(row.number)
        if current is None:
            other = lower_numbers.get(row.number.lower())
            if other is not None:
                context.row_errors[row.line] = [
                    _("職員番号 %(number)s は登録済みの %(other)s と大文字・小文字だけが違います。")
                    % {"number": row.number, "other": other}
                ]
            elif login_username(context.municipality.code, row.number) in context.taken_usernames:
                context.row_errors[row.line] = [
                    _("職員番号 %(number)s のログイン名は別のアカウントが使っています。") % {"number": row.number}
                ]
            else:
                current = _resemblance(row, context, claimed)
                if current is None:
                    if row.email and row.active and not _own_address_undecided(row):
                        wanted.add(row.email)
                    continue
        row.existing = current
        if row.email and row.email != current.email:
            wanted.add(row.email)
            if current.email:
                freed_by[current.email] = current.user_id
    return wanted, freed_by


def _normalised(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _resemblance_index(context: StaffContext) -> None:
    """Registered people by number without leading zeros and by 氏名 + カナ (spaces ignored),
    leaving out those a line of this file names by their own number (they are accounted for)."""
    in_file = set(context.lines_by_number)
    for existing in sorted(context.existing.values(), key=lambda e: e.number):
        if existing.number.lower() in in_file:
            continue
        context.by_stripped.setdefault(existing.number.lstrip("0").lower(), existing)
        if existing.kana:
            context.by_name.setdefault((_normalised(existing.name), _normalised(existing.kana)), existing)


def _resemblance(row: StaffRow, context: StaffContext, claimed: dict[int, int]) -> Existing | None:
    """Flag an active line with a new 職員番号 that looks like a registered person (a 警告, never a
    silent 新規), and apply HR's choice: "same" makes the line that person's (their number kept);
    returns that person, else None (a new person, or not chosen yet)."""
    if not row.active:
        return None
    other = context.by_stripped.get(row.number.lstrip("0").lower())
    reason = ZEROS
    if other is None and row.kana:
        other, reason = context.by_name.get((_normalised(row.name), _normalised(row.kana))), NAME
    if other is None:
        return None
    row.resembles, row.resemblance = other, reason
    choice = context.choices.get(row.line)
    if choice == CHOICE_NEW:
        row.choice = CHOICE_NEW
    elif choice == f"{CHOICE_SAME}:{other.number}":
        row.choice = CHOICE_SAME
        if other.pk in claimed:
            context.row_errors[row.line] = [
                _("既存の職員（%(number)s）は %(line)s行目でも選んでいます。")
                % {"number": other.number, "line": claimed[other.pk]}
            ]
            return None
        claimed[other.pk] = row.line
        row.written_number, row.number = row.number, other.number
        return other
    return None


def _own_address_undecided(row: StaffRow) -> bool:
    """A warned line, not yet chosen, that carries the resembled person's own address (rosters
    carry it; Excel drops only the zeros): the address is no conflict while the choice may still be
    「同じ人」, so the line stays a 警告 with its choice. Chosen 「別の人」, the address is checked."""
    other = row.resembles
    return other is not None and row.choice is None and bool(other.email) and row.email == other.email.lower()


def _check_addresses(rows: list[StaffRow], context: StaffContext, wanted: set[str], freed_by: dict) -> None:
    """An address a line would take that another account uses (unless that account gives it up
    in the same file) stops the line."""
    owners = _email_owners(wanted) if wanted else {}
    numbers_by_user = {e.user_id: e.number for e in context.existing.values()}
    for row in rows:
        if row.line in context.row_errors or not row.email or row.email not in wanted:
            continue
        own = row.existing.user_id if row.existing else None
        others = owners.get(row.email, set()) - {own}
        if not others or (len(others) == 1 and freed_by.get(row.email) in others):
            continue
        other_number = next((numbers_by_user[u] for u in others if u in numbers_by_user), None)
        if other_number:
            message = _("メールアドレス %(email)s は職員番号 %(number)s の人が使っています。") % {
                "email": row.email,
                "number": other_number,
            }
        else:
            message = _("メールアドレス %(email)s は別のアカウントが使っています。") % {"email": row.email}
        context.row_errors[row.line] = [message]


# --- step 3: what a commit would do to each person -------------------------------------------


def _changes(row: StaffRow, current: Existing) -> dict[str, tuple]:
    changes = {}
    for name, old, new in (
        ("name", current.name, row.name),
        ("kana", current.kana, row.kana),
        ("employment_type", current.employment_type, row.employment_type),
        ("start_date", current.start_date, row.start_date),
    ):
        if old != new:
            changes[name] = (old, new)
    if row.email and row.email != current.email:
        changes["email"] = (current.email, row.email)
    if row.department_id != current.department_id:
        changes["department"] = (current.department_id, row.department_id)
    return changes


def _classify(rows: list[StaffRow], context: StaffContext) -> None:
    for row in rows:
        if row.line in context.row_errors:
            continue
        current = row.existing
        if current is None:
            row.kind = CREATE if row.active else SKIP
            if row.active and row.role not in (None, StaffMember.Role.EMPLOYEE):
                row.changes["role"] = (StaffMember.Role.EMPLOYEE, row.role)
            continue
        row.changes.update(_changes(row, current))
        if current.is_active and not row.active:
            if current.user_id == context.acting_user_id:
                context.row_errors[row.line] = [
                    _("ご自身を退職にすることはできません（別の人事担当者が取り込んでください）。")
                ]
                continue
            row.kind = DEACTIVATE
            row.demote = current.role == StaffMember.Role.DEPARTMENT_HEAD
        elif not current.is_active and row.active:
            row.kind = REACTIVATE
        elif row.active and "department" in row.changes:
            row.kind = TRANSFER
            # 所属長 is a post of the department: it does not follow a transfer (decision 0027).
            row.demote = current.role == StaffMember.Role.DEPARTMENT_HEAD and current.is_active
        elif row.changes:
            row.kind = UPDATE
        _role_change(row, current, context)
        if row.kind == UNCHANGED and row.changes:
            row.kind = UPDATE


def _role_change(row: StaffRow, current, context: StaffContext) -> None:
    """The 役割 column's change (decision 0027): the role after the line, against the role the
    person holds once a transfer or 退職 has vacated a 所属長 post."""
    if row.line in context.row_errors or row.role is None:
        return
    if not row.active:
        if row.role != StaffMember.Role.EMPLOYEE:
            context.row_errors[row.line] = [_("在職でない人に役割（所属長・人事課）は付けられません。")]
        return
    held = StaffMember.Role.EMPLOYEE if row.demote else current.role
    if current.user_id == context.acting_user_id and current.role == StaffMember.Role.HR and row.role != held:
        context.row_errors[row.line] = [_("ご自身の人事担当の役割は名簿では変えられません。")]
        return
    if row.role != held:
        row.changes["role"] = (held, row.role)


def _check_heads(rows: list[StaffRow], context: StaffContext) -> None:
    """One 所属長 per department after the commit: the heads who stay, plus those the file appoints."""
    heads: dict[int, str] = {
        e.department_id: e.number
        for e in context.existing.values()
        if e.is_active and e.role == StaffMember.Role.DEPARTMENT_HEAD
    }
    for row in rows:
        current = row.existing
        if row.line in context.row_errors or current is None or current.role != StaffMember.Role.DEPARTMENT_HEAD:
            continue
        if row.demote or (row.role is not None and row.role != StaffMember.Role.DEPARTMENT_HEAD):
            heads.pop(current.department_id, None)
    appointed: dict[int, list[StaffRow]] = defaultdict(list)
    for row in rows:
        if row.line in context.row_errors or row.kind == SKIP or row.role != StaffMember.Role.DEPARTMENT_HEAD:
            continue
        if row.existing is not None and not row.demote and row.existing.role == StaffMember.Role.DEPARTMENT_HEAD:
            continue  # stays head of the same department
        appointed[row.department_id].append(row)
    for department_id, candidates in appointed.items():
        holder = heads.get(department_id)
        code, name = context.department_names.get(department_id, ("?", "?"))
        if len(candidates) > 1:
            where = "、".join(f"{r.line}行目" for r in candidates)
            for row in candidates:
                context.row_errors[row.line] = [
                    _("%(name)s（%(code)s）の所属長がファイル内で複数います（%(lines)s）。")
                    % {"name": name, "code": code, "lines": where}
                ]
        elif holder is not None and holder != candidates[0].number:
            context.row_errors[candidates[0].line] = [
                _(
                    "%(name)s（%(code)s）には既に所属長（職員番号 %(number)s）がいます。"
                    "その人の役割を変える行を入れるか、画面で先に外してください。"
                )
                % {"name": name, "code": code, "number": holder}
            ]


def _warnings(rows: list[StaffRow], absent: list, *, retire_missing: bool = False) -> list[str]:
    warnings = []
    resembling = [r for r in rows if r.resembles is not None]
    if resembling:
        warnings.append(
            _(
                "登録済みの職員に似ている新しい職員番号の行が%(count)s件あります（警告）。"
                "それぞれ「別人として新規登録する」か「既存の職員の番号の誤りとして扱う」かを選ぶまで、取り込めません。"
            )
            % {"count": len(resembling)}
        )
    demoted = sum(1 for r in rows if r.demote and r.kind == DEACTIVATE)
    if demoted:
        warnings.append(
            _("退職にする所属長が%(count)s人います。所属長の役割を外し、「職員」にします。") % {"count": demoted}
        )
    moved = sum(1 for r in rows if r.demote and r.kind == TRANSFER)
    if moved:
        warnings.append(
            _(
                "異動する所属長が%(count)s人います。所属長は所属のポストのため異動先には引き継がず、"
                "異動前の所属の所属長は空席になります（役割の列で所属長とした人は異動先の所属長になります）。"
            )
            % {"count": moved}
        )
    if absent and retire_missing:
        warnings.append(
            _(
                "ファイルにない在職者が%(count)s人います。「この名簿にない職員を退職扱いにする」を選んだため、"
                "取り込むとこの人たちを退職にします（取込日付け）。"
            )
            % {"count": len(absent)}
        )
    elif absent:
        warnings.append(
            _(
                "ファイルにない在職者が%(count)s人います。この人たちは変更しません（退職にするには、在職を 0 にした行を入れてください）。"
            )
            % {"count": len(absent)}
        )
    return warnings


def staff_plan(
    *,
    municipality: Municipality,
    content: bytes,
    user=None,
    on: datetime.date | None = None,
    choices: dict[int, str] | None = None,
    retire_missing: bool = False,
    after=None,
) -> Plan:
    """The dry run of a staff roster: each line created, transferred, updated, deactivated,
    reactivated, skipped or unchanged, or an error with its reason. Queries: departments, staff,
    usernames without staff, and (when lines bring new addresses) their owners. `after` (a
    `combined.Reorganisation`): plan against the departments as a master file will leave them."""
    table = read_table(content, columns=STAFF_COLUMNS, aliases=STAFF_ALIASES, optional=STAFF_OPTIONAL_COLUMNS)
    context = StaffContext.read(municipality, user)
    if after is not None:
        after.apply(context)
    context.choices = dict(choices or {})
    errors: list[LineError] = []
    rows = _read_lines(table, context, errors)
    _check_repeats(context)
    _resemblance_index(context)
    wanted, freed_by = _match_people(rows, context)
    _check_addresses(rows, context, wanted, freed_by)
    _classify(rows, context)
    _check_heads(rows, context)

    for row in rows:
        if row.line in context.row_errors:
            row.kind = "error"
            errors.append(LineError(row.line, row.number, "".join(context.row_errors[row.line])))
    errors.sort(key=lambda e: e.line)
    rows = [r for r in rows if r.kind != "error"]
    in_file_lower = {r.number.lower() for r in rows} | set(context.lines_by_number)
    missing = sorted(
        (e for e in context.existing.values() if e.is_active and e.number.lower() not in in_file_lower),
        key=lambda e: e.number,
    )
    absent = [
        (e.number, e.name, "{1}（{0}）".format(*context.department_names.get(e.department_id, ("?", "?"))))
        for e in missing
    ]
    own = []
    if retire_missing:
        rows += _retire_rows(missing, context, own)
    warnings = _warnings(rows, absent, retire_missing=retire_missing) + own
    return plan_build(
        kind="staff",
        municipality=municipality,
        table=table,
        rows=rows,
        errors=errors,
        warnings=warnings,
        absent=absent,
        departments=context.department_names,
        on=on,
        retire_missing=retire_missing,
    )


def _retire_rows(missing: list[Existing], context: StaffContext, warnings: list[str]) -> list[StaffRow]:
    """「この名簿にない職員を退職扱いにする」: each active person the file does not name becomes a
    退職 line (what a line with 在職 = 0 would do), except the person importing (never themselves)."""
    rows = []
    for e in missing:
        if e.user_id == context.acting_user_id:
            warnings.append(
                _("取り込む人ご自身（%(number)s）はこの名簿にありませんが、退職にはしません。") % {"number": e.number}
            )
            continue
        row = StaffRow(
            0, e.number, e.name, e.kana, e.department_id, e.employment_type, e.start_date, "", False, kind=DEACTIVATE
        )
        row.existing, row.retired_missing = e, True
        row.demote = e.role == StaffMember.Role.DEPARTMENT_HEAD
        rows.append(row)
    return rows
