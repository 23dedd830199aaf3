"""Reading and planning staff-roster and department-master CSV files: the dry run.

Nothing here writes. `staff_plan` and `department_plan` read the municipality's current data in a
fixed number of queries and say line by line what a commit would do and which lines are wrong;
`people.services` stores the upload and applies a plan (docs/decisions/0012).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sns_training.spreadsheet import escape_cell

from .models import Department, Municipality, StaffMember, User, login_username, staff_number_validator

MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 100_000
DISPLAY_CAP = 200  # rows shown per table on the dry-run page; the rest are counted
IN_CHUNK = 5_000  # values per IN (...) list: under SQLite's variable limit, few round trips

ENCODING_LABELS = {
    "utf-8-sig": gettext_lazy("UTF-8（BOM付き）"),
    "utf-8": gettext_lazy("UTF-8"),
    "cp932": gettext_lazy("Shift_JIS（CP932）"),
}


def max_bytes() -> int:
    return getattr(settings, "ROSTER_MAX_BYTES", MAX_BYTES)


def max_lines() -> int:
    return getattr(settings, "ROSTER_MAX_LINES", MAX_LINES)


class RosterFileError(Exception):
    """The file as a whole cannot be read (size, encoding, header); the message is shown as is."""


# --- reading -------------------------------------------------------------------------------


def size_check(size: int) -> None:
    """Refuse an oversized file before reading it."""
    if size > max_bytes():
        raise RosterFileError(
            _("ファイルが大きすぎます（%(size)s MB）。%(limit)s MB 以下のファイルにしてください。")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": f"{max_bytes() / 1024 / 1024:g}"}
        )


def decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 with a BOM, else strict UTF-8, else CP932
    (what Excel writes as "CSV" on Japanese Windows)."""
    size_check(len(content))
    if b"\x00" in content:
        # No spreadsheet writes NUL into a CSV (UTF-16 files are full of them), and PostgreSQL refuses it in text.
        raise RosterFileError(
            _("ファイルに使えない文字（NUL 文字）が含まれています。UTF-8 または Shift_JIS の CSV で保存してください。")
        )
    if content.startswith(codecs.BOM_UTF8):
        try:
            return content.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return content.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            pass
    raise RosterFileError(
        _("文字コードを判別できません。UTF-8 または Shift_JIS（Excel の「CSV（コンマ区切り）」）で保存してください。")
    )


def _clean(value: str) -> str:
    return value.strip()


def _fold(value: str) -> str:
    """Full-width letters, digits and symbols to their usual forms (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


@dataclass
class Table:
    encoding: str
    columns: dict[str, int]  # column name → index in a row
    width: int
    extra_columns: list[str]
    rows: list[tuple[int, list[str]]]  # (line number of the row's first line, cells)


def read_table(content: bytes, *, columns: tuple[str, ...], aliases: dict[str, str] | None = None) -> Table:
    """The header and data rows of a CSV file. Line numbers are the file's (the header is line 1);
    wholly empty rows are skipped. Raises RosterFileError for what makes the file unreadable."""
    text, encoding = decode(content)
    aliases = aliases or {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(c.strip() for c in header):
            raise RosterFileError(_("ファイルが空です。1行目に見出し（%(columns)s）が必要です。") % _columns(columns))
        names = [aliases.get(_fold(c), _fold(c)) for c in header]
        index: dict[str, int] = {}
        extra: list[str] = []
        for i, name in enumerate(names):
            if not name:
                continue
            if name in index:
                raise RosterFileError(_("1行目の見出しに「%(name)s」が2回あります。") % {"name": name})
            if name in columns:
                index[name] = i
            else:
                extra.append(name)
        missing = [c for c in columns if c not in index]
        if missing:
            raise RosterFileError(
                _("必要な列がありません：%(missing)s。1行目の見出しは %(columns)s としてください。")
                % {"missing": "、".join(missing), **_columns(columns)}
            )
        rows: list[tuple[int, list[str]]] = []
        limit = max_lines()
        line = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((line, cells))
                if len(rows) > limit:
                    raise RosterFileError(
                        _("データ行が多すぎます（%(limit)s行まで）。ファイルを分けてください。")
                        % {"limit": f"{limit:,}"}
                    )
            line = reader.line_num + 1
    except csv.Error as exc:
        raise RosterFileError(
            _("%(line)s行目を CSV として読めません（%(error)s）。") % {"line": reader.line_num, "error": exc}
        ) from exc
    if not rows:
        raise RosterFileError(_("データ行がありません。2行目以降に1行1件で入力してください。"))
    return Table(encoding=encoding, columns=index, width=len(header), extra_columns=extra, rows=rows)


def _columns(columns) -> dict:
    return {"columns": "、".join(columns)}


def _cells(table: Table, cells: list[str]) -> tuple[dict[str, str], str | None]:
    """A row's values by column name, or an error when it has too few or too many cells."""
    if len(cells) < table.width and any(i >= len(cells) for i in table.columns.values()):
        return {}, _("列が足りません（見出しは%(width)s列、この行は%(count)s列）。") % {
            "width": table.width,
            "count": len(cells),
        }
    if len(cells) > table.width and any(c.strip() for c in cells[table.width :]):
        return {}, _(
            '列が多すぎます（見出しは%(width)s列、この行は%(count)s列）。値にコンマがあるときは「"」で囲んでください。'
        ) % {
            "width": table.width,
            "count": len(cells),
        }
    return {name: cells[i] for name, i in table.columns.items()}, None


def _key_cell(table: Table, cells: list[str], column: str) -> str:
    """The key column's value of a line `_cells` refused (it may be too short), to name it in the error."""
    index = table.columns[column]
    return _fold(cells[index]) if len(cells) > index else ""


# --- values --------------------------------------------------------------------------------

EMPLOYMENT_TYPES = {
    "一般職": StaffMember.EmploymentType.REGULAR,
    "特別職": StaffMember.EmploymentType.SPECIAL,
    "再任用職員": StaffMember.EmploymentType.REAPPOINTED,
    "再任用": StaffMember.EmploymentType.REAPPOINTED,
    "会計年度任用職員": StaffMember.EmploymentType.FISCAL_YEAR,
    "委託事業者": StaffMember.EmploymentType.CONTRACTOR,
    "指定管理者": StaffMember.EmploymentType.DESIGNATED_MANAGER,
}
ACTIVE_VALUES = {
    "1": True,
    "在職": True,
    "TRUE": True,
    "○": True,
    "〇": True,
    "0": False,
    "退職": False,
    "FALSE": False,
    "×": False,
}

_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_KANJI_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_ERA_DATE = re.compile(r"(令和|平成|昭和|R|H|S)(元|\d{1,2})(?:年(\d{1,2})月(\d{1,2})日|[./-](\d{1,2})[./-](\d{1,2}))")
# era: (year before its first year, first day, last day)
_ERAS = {
    "令和": (2018, datetime.date(2019, 5, 1), None),
    "平成": (1988, datetime.date(1989, 1, 8), datetime.date(2019, 4, 30)),
    "昭和": (1925, datetime.date(1926, 12, 25), datetime.date(1989, 1, 7)),
}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}


def parse_date(value: str) -> datetime.date | None:
    """YYYY-MM-DD, YYYY/MM/DD (zero padding optional), YYYY年M月D日, or 和暦 (R7.4.1, 令和7年4月1日)."""
    value = _fold(value).replace(" ", "").upper()
    try:
        if m := _ISO_DATE.fullmatch(value) or _KANJI_DATE.fullmatch(value):
            return datetime.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _ERA_DATE.fullmatch(value):
            era = _ERA_LETTERS.get(m[1], m[1])
            offset, first, last = _ERAS[era]
            year = 1 if m[2] == "元" else int(m[2])
            day = datetime.date(offset + year, int(m[3] or m[5]), int(m[4] or m[6]))
            if day < first or (last is not None and day > last):
                return None
            return day
    except ValueError:
        return None
    return None


# --- staff roster --------------------------------------------------------------------------

STAFF_COLUMNS = ("職員番号", "氏名", "カナ", "所属コード", "任用形態", "着任日", "メール", "在職")
STAFF_ALIASES = {"メールアドレス": "メール", "フリガナ": "カナ"}
DEPARTMENT_COLUMNS = ("所属コード", "名称", "上位所属コード")
DEPARTMENT_ALIASES = {"所属名": "名称", "上位所属": "上位所属コード"}

CREATE = "create"
TRANSFER = "transfer"
UPDATE = "update"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
SKIP = "skip"
UNCHANGED = "unchanged"
RENAME = "rename"
MOVE = "move"

KIND_LABELS = {
    CREATE: gettext_lazy("新規"),
    TRANSFER: gettext_lazy("異動"),
    UPDATE: gettext_lazy("更新"),
    DEACTIVATE: gettext_lazy("退職"),
    REACTIVATE: gettext_lazy("再在職"),
    SKIP: gettext_lazy("対象外"),
    UNCHANGED: gettext_lazy("変更なし"),
    RENAME: gettext_lazy("名称変更"),
    MOVE: gettext_lazy("移動"),
}
STAFF_KINDS = (CREATE, TRANSFER, UPDATE, DEACTIVATE, REACTIVATE, SKIP, UNCHANGED)
DEPARTMENT_KINDS = (CREATE, RENAME, MOVE, UNCHANGED)

FIELD_LABELS = {
    "name": gettext_lazy("氏名"),
    "kana": gettext_lazy("カナ"),
    "employment_type": gettext_lazy("任用形態"),
    "start_date": gettext_lazy("着任日"),
    "email": gettext_lazy("メール"),
    "department": gettext_lazy("所属"),
}
NAME_MAX = StaffMember._meta.get_field("name").max_length
KANA_MAX = StaffMember._meta.get_field("kana").max_length
EMAIL_MAX = 254
DEPARTMENT_NAME_MAX = Department._meta.get_field("name").max_length
DEPARTMENT_DEPTH_MAX = 10


@dataclass(slots=True)
class LineError:
    line: int
    key: str  # 職員番号 or 所属コード as written
    message: str


@dataclass(slots=True)
class Existing:
    """A staff member as the database has them, read once for the plan."""

    pk: int
    number: str
    name: str
    kana: str
    department_id: int
    employment_type: str
    start_date: datetime.date
    is_active: bool
    role: str
    user_id: int
    email: str
    user_active: bool


@dataclass(slots=True)
class StaffRow:
    line: int
    number: str
    name: str
    kana: str
    department_id: int
    employment_type: str
    start_date: datetime.date
    email: str  # "" leaves the current address as it is
    active: bool
    kind: str = UNCHANGED
    existing: Existing | None = None
    changes: dict[str, tuple] = field(default_factory=dict)  # field → (old, new)
    demote: bool = False  # a 所属長 who leaves loses the role (the DB allows no inactive 所属長)


@dataclass(slots=True)
class DepartmentRow:
    line: int
    code: str
    name: str
    parent_code: str  # "" = top level
    kind: str = UNCHANGED
    pk: int | None = None
    changes: dict[str, tuple] = field(default_factory=dict)


@dataclass
class Plan:
    """What a commit would do, line by line, and every line that stops it."""

    kind: str  # RosterImport.Kind value
    municipality: Municipality
    encoding: str
    line_count: int
    rows: list
    errors: list[LineError]
    extra_columns: list[str]
    warnings: list[str] = field(default_factory=list)
    absent: list[tuple[str, str, str]] = field(default_factory=list)  # (number/code, name, department)
    departments: dict[int, tuple[str, str]] = field(default_factory=dict)  # pk → (code, name)
    on: datetime.date | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def of_kind(self, kind: str) -> list:
        return [r for r in self.rows if r.kind == kind]

    def counts(self) -> dict[str, int]:
        kinds = STAFF_KINDS if self.kind == "staff" else DEPARTMENT_KINDS
        counts = dict.fromkeys(kinds, 0)
        for row in self.rows:
            counts[row.kind] += 1
        return counts

    @property
    def digest(self) -> str:
        """A hash of every change the plan would make: a commit whose re-plan hashes differently
        was planned against data that has changed since the dry run."""
        h = hashlib.sha256()
        for row in self.rows:
            if row.kind == UNCHANGED:
                continue
            if isinstance(row, StaffRow):
                ident = row.existing.pk if row.existing else ""
                parts = (row.kind, row.number, ident, row.department_id, row.active, row.demote, row.email)
            else:
                parts = (row.kind, row.code, row.pk or "", row.parent_code, row.name)
            h.update(repr((parts, sorted(row.changes.items()))).encode())
            h.update(b"\n")
        h.update(f"errors:{len(self.errors)}".encode())
        return h.hexdigest()

    # The dry-run page and the stored summary -------------------------------------------------

    def _department_label(self, pk) -> str:
        code, name = self.departments.get(pk, ("?", "?"))
        return f"{name}（{code}）"

    def _value(self, name: str, value) -> str:
        if value in (None, ""):
            return _("（なし）")
        if name == "employment_type":
            return str(StaffMember.EmploymentType(value).label)
        if name == "department":
            return self._department_label(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value)

    def _changes_text(self, row, *, skip=()) -> str:
        return "；".join(
            f"{FIELD_LABELS.get(name, name)}: {self._value(name, old)} → {self._value(name, new)}"
            for name, (old, new) in row.changes.items()
            if name not in skip
        )

    def _staff_detail(self, row: StaffRow) -> tuple[str, str]:
        note = ""
        if row.kind in (CREATE, SKIP):
            detail = "・".join(
                [
                    self._department_label(row.department_id),
                    str(StaffMember.EmploymentType(row.employment_type).label),
                    _("着任日 %(date)s") % {"date": row.start_date.isoformat()},
                ]
                + ([row.email] if row.email else [])
            )
            if row.kind == SKIP:
                note = _("登録のない人が「退職」のため、取り込みません。")
        elif row.kind == TRANSFER:
            old, new = row.changes["department"]
            detail = f"{self._department_label(old)} → {self._department_label(new)}"
            rest = self._changes_text(row, skip=("department",))
            if rest:
                detail = f"{detail}；{rest}"
            if row.existing.role == StaffMember.Role.DEPARTMENT_HEAD:
                note = _("所属長のまま異動します。")
        else:
            detail = self._changes_text(row) or self._department_label(row.department_id)
            if row.demote:
                note = _("所属長の役割を外し、「職員」にします。")
        return detail, note

    def _department_detail(self, row: DepartmentRow) -> str:
        if row.kind == CREATE:
            parent = row.parent_code or _("（最上位）")
            return _("上位所属: %(parent)s") % {"parent": parent}
        parts = []
        if "name" in row.changes:
            old, new = row.changes["name"]
            parts.append(_("名称: %(old)s → %(new)s") % {"old": old, "new": new})
        if "parent" in row.changes:
            old, new = row.changes["parent"]
            parts.append(
                _("上位所属: %(old)s → %(new)s") % {"old": old or _("（最上位）"), "new": new or _("（最上位）")}
            )
        return "；".join(parts)

    def summary(self) -> dict:
        """What the dry-run page shows, JSON-ready: counts, the first rows of each table, the first
        errors, warnings. Stored on the RosterImport so the page needs no re-plan."""
        counts = self.counts()
        tables = []
        kinds = STAFF_KINDS if self.kind == "staff" else DEPARTMENT_KINDS
        for kind in kinds:
            if kind == UNCHANGED or not counts[kind]:
                continue
            rows = []
            for row in self.rows:
                if row.kind != kind:
                    continue
                if len(rows) == DISPLAY_CAP:
                    break
                if isinstance(row, StaffRow):
                    detail, note = self._staff_detail(row)
                    rows.append({"line": row.line, "key": row.number, "name": row.name, "detail": detail, "note": note})
                else:
                    detail = self._department_detail(row)
                    rows.append({"line": row.line, "key": row.code, "name": row.name, "detail": detail, "note": ""})
            tables.append(
                {
                    "kind": kind,
                    "label": str(KIND_LABELS[kind]),
                    "count": counts[kind],
                    "rows": rows,
                    "more": counts[kind] - len(rows),
                }
            )
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "encoding_label": str(ENCODING_LABELS.get(self.encoding, self.encoding)),
            "lines": self.line_count,
            "counts": counts,
            "labels": {k: str(KIND_LABELS[k]) for k in counts},
            "tables": tables,
            "error_count": len(self.errors),
            "errors": [{"line": e.line, "key": e.key, "message": e.message} for e in self.errors[:DISPLAY_CAP]],
            "errors_more": max(0, len(self.errors) - DISPLAY_CAP),
            "warnings": list(self.warnings),
            "absent": {
                "count": len(self.absent),
                "rows": [{"key": k, "name": n, "department": d} for k, n, d in self.absent[:DISPLAY_CAP]],
                "more": max(0, len(self.absent) - DISPLAY_CAP),
            },
            "extra_columns": list(self.extra_columns),
            "digest": self.digest,
        }


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


def _flag_repeats(
    row_errors: dict[int, list[str]], lines_by_key: dict[str, list[int]], message: Callable[[str, str], str]
) -> None:
    """Every line of a key the file holds more than once gets `message(key, where)`, where lists
    the lines (「2行目、5行目」)."""
    for key, lines in lines_by_key.items():
        if len(lines) > 1:
            where = "、".join(f"{n}行目" for n in lines)
            for line in lines:
                row_errors.setdefault(line, []).append(message(key, where))


def _plan(*, kind: str, table: Table, warnings: list[str], **fields) -> Plan:
    """A dry run's Plan from the file it read: the planner's warnings, then the ignored columns."""
    if table.extra_columns:
        warnings = [
            *warnings,
            _("次の列は使わずに無視します：%(columns)s") % {"columns": "、".join(table.extra_columns)},
        ]
    return Plan(
        kind=kind,
        encoding=table.encoding,
        line_count=len(table.rows),
        extra_columns=table.extra_columns,
        warnings=warnings,
        **fields,
    )


def staff_plan(*, municipality: Municipality, content: bytes, user=None, on: datetime.date | None = None) -> Plan:
    """The dry run of a staff roster: each line created, transferred, updated, deactivated,
    reactivated, skipped or unchanged, or an error with its reason. Queries: departments, staff,
    usernames without staff, and (when lines bring new addresses) their owners."""
    table = read_table(content, columns=STAFF_COLUMNS, aliases=STAFF_ALIASES)
    department_names = {
        pk: (code, name)
        for pk, code, name in Department.objects.filter(municipality=municipality)
        .order_by()
        .values_list("pk", "code", "name")
    }
    departments = {code: pk for pk, (code, _name) in department_names.items()}
    existing = _existing_staff(municipality)
    lower_numbers = {number.lower(): number for number in existing}
    prefix = login_username(municipality.code, "")
    taken_usernames = set(
        User.objects.filter(username__startswith=prefix, staff_profile__isnull=True).values_list("username", flat=True)
    )
    valid_number = staff_number_validator.regex
    acting_user_id = getattr(user, "pk", None)

    rows: list[StaffRow] = []
    errors: list[LineError] = []
    lines_by_number: dict[str, list[int]] = defaultdict(list)
    lines_by_email: dict[str, list[int]] = defaultdict(list)
    row_errors: dict[int, list[str]] = {}

    for line, cells in table.rows:
        values, problem = _cells(table, cells)
        if problem:
            errors.append(LineError(line, _key_cell(table, cells, "職員番号"), problem))
            continue
        problems: list[str] = []
        number = _fold(values["職員番号"])
        name = _clean(values["氏名"])
        kana = _fold(values["カナ"])
        code = _fold(values["所属コード"])
        employment_label = _fold(values["任用形態"])
        start_raw = _clean(values["着任日"])
        email = _fold(values["メール"]).lower()
        active_raw = _fold(values["在職"]).upper()

        if not number:
            problems.append(_("職員番号が空です。"))
        elif not valid_number.match(number):
            problems.append(str(staff_number_validator.message))
        else:
            lines_by_number[number.lower()].append(line)
        if not name:
            problems.append(_("氏名が空です。"))
        elif len(name) > NAME_MAX:
            problems.append(_("氏名が長すぎます（%(max)s文字以内）。") % {"max": NAME_MAX})
        if len(kana) > KANA_MAX:
            problems.append(_("カナが長すぎます（%(max)s文字以内）。") % {"max": KANA_MAX})
        department_id = departments.get(code)
        if not code:
            problems.append(_("所属コードが空です。"))
        elif department_id is None:
            problems.append(
                _("所属コード「%(code)s」は登録されていません（所属マスタを先に取り込んでください）。") % {"code": code}
            )
        employment_type = EMPLOYMENT_TYPES.get(employment_label)
        if employment_type is None:
            problems.append(
                _("任用形態「%(value)s」は使えません（%(choices)s のいずれか）。")
                % {"value": employment_label, "choices": "、".join(k for k in EMPLOYMENT_TYPES if k != "再任用")}
            )
        start_date = parse_date(start_raw) if start_raw else None
        if not start_raw:
            problems.append(_("着任日が空です。"))
        elif start_date is None:
            problems.append(
                _("着任日「%(value)s」は日付ではありません（YYYY-MM-DD、YYYY/MM/DD または 令和7年4月1日 の形で）。")
                % {"value": start_raw}
            )
        if email:
            if len(email) > EMAIL_MAX:
                problems.append(_("メールアドレスが長すぎます（%(max)s文字以内）。") % {"max": EMAIL_MAX})
            else:
                try:
                    validate_email(email)
                except ValidationError:
                    problems.append(_("メールアドレス「%(value)s」の形が正しくありません。") % {"value": email})
                else:
                    lines_by_email[email].append(line)
        active = ACTIVE_VALUES.get(active_raw)
        if active is None:
            problems.append(
                _("在職の値「%(value)s」は使えません（1/0、在職/退職、TRUE/FALSE、○/× のいずれか）。")
                % {"value": _fold(values["在職"])}
            )
        if problems:
            row_errors[line] = problems
            rows.append(StaffRow(line, number, name, kana, 0, "", datetime.date.min, email, False, kind="error"))
            continue
        rows.append(StaffRow(line, number, name, kana, department_id, employment_type, start_date, email, active))

    _flag_repeats(
        row_errors,
        lines_by_number,
        lambda _number, where: _("職員番号がファイル内で重複しています（%(lines)s）。") % {"lines": where},
    )
    _flag_repeats(
        row_errors,
        lines_by_email,
        lambda address, where: (
            _("メールアドレス %(email)s がファイル内で重複しています（%(lines)s）。")
            % {"email": address, "lines": where}
        ),
    )

    # Match each line with the person it is about, and find the addresses it would take.
    wanted_emails: set[str] = set()
    freed_by: dict[str, int] = {}  # address → user who gives it up in this file
    for row in rows:
        if row.line in row_errors:
            continue
        current = existing.get(row.number)
        if current is None:
            other = lower_numbers.get(row.number.lower())
            if other is not None:
                row_errors[row.line] = [
                    _("職員番号 %(number)s は登録済みの %(other)s と大文字・小文字だけが違います。")
                    % {"number": row.number, "other": other}
                ]
            elif login_username(municipality.code, row.number) in taken_usernames:
                row_errors[row.line] = [
                    _("職員番号 %(number)s のログイン名は別のアカウントが使っています。") % {"number": row.number}
                ]
            elif row.email and row.active:
                wanted_emails.add(row.email)
            continue
        row.existing = current
        if row.email and row.email != current.email:
            wanted_emails.add(row.email)
            if current.email:
                freed_by[current.email] = current.user_id
    owners = _email_owners(wanted_emails) if wanted_emails else {}
    numbers_by_user = {e.user_id: e.number for e in existing.values()}
    for row in rows:
        if row.line in row_errors or not row.email or row.email not in wanted_emails:
            continue
        own = row.existing.user_id if row.existing else None
        others = owners.get(row.email, set()) - {own}
        if others and not (len(others) == 1 and freed_by.get(row.email) in others):
            other_number = next((numbers_by_user[u] for u in others if u in numbers_by_user), None)
            if other_number:
                message = _("メールアドレス %(email)s は職員番号 %(number)s の人が使っています。") % {
                    "email": row.email,
                    "number": other_number,
                }
            else:
                message = _("メールアドレス %(email)s は別のアカウントが使っています。") % {"email": row.email}
            row_errors[row.line] = [message]

    for row in rows:
        if row.line in row_errors:
            continue
        current = row.existing
        if current is None:
            row.kind = CREATE if row.active else SKIP
            continue
        changes = row.changes
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
        if current.is_active and not row.active:
            if current.user_id == acting_user_id:
                row_errors[row.line] = [_("ご自身を退職にすることはできません（別の人事担当者が取り込んでください）。")]
                continue
            row.kind = DEACTIVATE
            row.demote = current.role == StaffMember.Role.DEPARTMENT_HEAD
        elif not current.is_active and row.active:
            row.kind = REACTIVATE
        elif row.active and "department" in changes:
            row.kind = TRANSFER
        elif changes:
            row.kind = UPDATE

    for row in rows:
        if row.line in row_errors:
            row.kind = "error"
            errors.append(LineError(row.line, row.number, "".join(row_errors[row.line])))
    errors.sort(key=lambda e: e.line)
    rows = [r for r in rows if r.kind != "error"]

    in_file = {r.number for r in rows} | set(lines_by_number)
    in_file_lower = {n.lower() for n in in_file}
    absent = sorted(
        (e.number, e.name, "{1}（{0}）".format(*department_names.get(e.department_id, ("?", "?"))))
        for e in existing.values()
        if e.is_active and e.number.lower() not in in_file_lower
    )
    warnings = []
    demoted = sum(1 for r in rows if r.demote)
    if demoted:
        warnings.append(
            _("退職にする所属長が%(count)s人います。所属長の役割を外し、「職員」にします。") % {"count": demoted}
        )
    if absent:
        warnings.append(
            _(
                "ファイルにない在職者が%(count)s人います。この人たちは変更しません（退職にするには、在職を 0 にした行を入れてください）。"
            )
            % {"count": len(absent)}
        )
    return _plan(
        kind="staff",
        municipality=municipality,
        table=table,
        rows=rows,
        errors=errors,
        warnings=warnings,
        absent=absent,
        departments=department_names,
        on=on,
    )


# --- department master ---------------------------------------------------------------------


def department_plan(*, municipality: Municipality, content: bytes, user=None, on: datetime.date | None = None) -> Plan:
    """The dry run of a department master: each line created, renamed, moved or unchanged, or an
    error (unknown parent, a cycle, a code twice…). Parents may come after their children. One query."""
    table = read_table(content, columns=DEPARTMENT_COLUMNS, aliases=DEPARTMENT_ALIASES)
    current = {
        code: (pk, name, parent_id)
        for pk, code, name, parent_id in Department.objects.filter(municipality=municipality)
        .order_by()
        .values_list("pk", "code", "name", "parent_id")
    }
    code_of = {pk: code for code, (pk, _n, _p) in current.items()}
    valid_code = re.compile(r"^[0-9A-Za-z-]{1,20}$")
    rows: list[DepartmentRow] = []
    errors: list[LineError] = []
    row_errors: dict[int, list[str]] = {}
    lines_by_code: dict[str, list[int]] = defaultdict(list)

    for line, cells in table.rows:
        values, problem = _cells(table, cells)
        if problem:
            errors.append(LineError(line, _key_cell(table, cells, "所属コード"), problem))
            continue
        code = _fold(values["所属コード"])
        name = _clean(values["名称"])
        parent_code = _fold(values["上位所属コード"])
        problems = []
        if not code:
            problems.append(_("所属コードが空です。"))
        elif not valid_code.match(code):
            problems.append(
                _("所属コード「%(code)s」は半角英数字とハイフン（20文字以内）で入力してください。") % {"code": code}
            )
        else:
            lines_by_code[code].append(line)
        if not name:
            problems.append(_("名称が空です。"))
        elif len(name) > DEPARTMENT_NAME_MAX:
            problems.append(_("名称が長すぎます（%(max)s文字以内）。") % {"max": DEPARTMENT_NAME_MAX})
        if parent_code and parent_code == code:
            problems.append(_("自分自身を上位所属にはできません。"))
        if problems:
            row_errors[line] = problems
        rows.append(DepartmentRow(line, code, name, parent_code))

    _flag_repeats(
        row_errors,
        lines_by_code,
        lambda _code, where: _("所属コードがファイル内で重複しています（%(lines)s）。") % {"lines": where},
    )

    for row in rows:
        if row.line in row_errors or not row.parent_code:
            continue
        if row.parent_code not in lines_by_code and row.parent_code not in current:
            row_errors[row.line] = [
                _("上位所属コード「%(code)s」は登録されておらず、このファイルにもありません。")
                % {"code": row.parent_code}
            ]

    # The tree after the commit: the file's parent where the file says, the database's elsewhere.
    parent_of: dict[str, str] = {code: code_of.get(parent_id, "") for code, (_pk, _n, parent_id) in current.items()}
    for row in rows:
        if row.line not in row_errors:
            parent_of[row.code] = row.parent_code
    for row in rows:
        if row.line in row_errors:
            continue
        chain = [row.code]
        code = row.parent_code
        while code:
            if code in chain:
                cycle = chain[chain.index(code) :] + [code]
                row_errors[row.line] = [
                    _("上位所属コードが循環しています（%(cycle)s）。") % {"cycle": " → ".join(cycle)}
                ]
                break
            chain.append(code)
            code = parent_of.get(code, "")
        else:
            if len(chain) > DEPARTMENT_DEPTH_MAX:
                row_errors[row.line] = [_("階層が深すぎます（%(max)s階層まで）。") % {"max": DEPARTMENT_DEPTH_MAX}]

    for row in rows:
        if row.line in row_errors:
            row.kind = "error"
            errors.append(LineError(row.line, row.code, "".join(row_errors[row.line])))
            continue
        found = current.get(row.code)
        if found is None:
            row.kind = CREATE
            continue
        pk, name, parent_id = found
        row.pk = pk
        old_parent = code_of.get(parent_id, "")
        if name != row.name:
            row.changes["name"] = (name, row.name)
        if old_parent != row.parent_code:
            row.changes["parent"] = (old_parent, row.parent_code)
        if "parent" in row.changes:
            row.kind = MOVE
        elif row.changes:
            row.kind = RENAME
    errors.sort(key=lambda e: e.line)
    rows = [r for r in rows if r.kind != "error"]
    listed = set(lines_by_code)
    absent = sorted((code, name, "") for code, (_pk, name, _p) in current.items() if code not in listed)
    warnings = []
    if absent:
        warnings.append(
            _("ファイルにない所属が%(count)s件あります。この所属は変更も削除もしません。") % {"count": len(absent)}
        )
    return _plan(
        kind="departments",
        municipality=municipality,
        table=table,
        rows=rows,
        errors=errors,
        warnings=warnings,
        absent=absent,
        on=on,
    )


def plan_for(*, kind: str, municipality: Municipality, content: bytes, user=None, on=None) -> Plan:
    planner = staff_plan if kind == "staff" else department_plan
    return planner(municipality=municipality, content=content, user=user, on=on)


# --- exports -------------------------------------------------------------------------------


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text: values starting like a formula (full-width and after
    blanks too) get a leading quote, as in the reports' exports."""
    return escape_cell("" if value is None else str(value))


def errors_csv(plan: Plan) -> bytes:
    """Every error line of a plan as CSV (UTF-8 with BOM, so Excel opens it), formula-safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("行"), _("職員番号") if plan.kind == "staff" else _("所属コード"), _("理由")])
    for error in plan.errors:
        writer.writerow([error.line, spreadsheet_safe(error.key), spreadsheet_safe(error.message)])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
