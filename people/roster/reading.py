"""Reading a roster or department-master CSV: size and line limits, the encoding Excel used,
the header (with its aliases), the cells of each line, dates (西暦 and 和暦), and the constants
the planners share. Nothing here reads the database."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Department, StaffMember

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


def read_table(
    content: bytes,
    *,
    columns: tuple[str, ...],
    aliases: dict[str, str] | None = None,
    optional: tuple[str, ...] = (),
) -> Table:
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
            if name in columns or name in optional:
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
# Columns a roster may leave out (an empty cell keeps the current value): 役割 (decision 0027).
STAFF_OPTIONAL_COLUMNS = ("役割",)
# 役割 values: 職員 / 所属長 / 人事課 and their English names (編集者・承認者 are appointed on screen).
ROLE_VALUES = {
    "職員": "employee",
    "一般": "employee",
    "EMPLOYEE": "employee",
    "所属長": "department_head",
    "DEPARTMENT_HEAD": "department_head",
    "HEAD": "department_head",
    "人事課": "hr",
    "人事担当": "hr",
    "人事": "hr",
    "HR": "hr",
}
DEPARTMENT_COLUMNS = ("所属コード", "名称", "上位所属コード")
DEPARTMENT_ALIASES = {"所属名": "名称", "上位所属": "上位所属コード", "統合先": "統合先コード"}
# Reorganisations (decision 0039): 廃止 (1 / 廃止 / ○) abolishes a department, 統合先コード merges it.
DEPARTMENT_OPTIONAL_COLUMNS = ("廃止", "統合先コード")
RETIRE_MARKS = {"1", "廃止", "○", "〇", "TRUE", "YES"}

CREATE = "create"
TRANSFER = "transfer"
UPDATE = "update"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
SKIP = "skip"
UNCHANGED = "unchanged"
RENAME = "rename"
MOVE = "move"
MERGE = "merge"
RETIRE = "retire"

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
    MERGE: gettext_lazy("統合"),
    RETIRE: gettext_lazy("廃止"),
}
# Why a new 職員番号 is flagged as resembling a registered person (a dry run's 警告).
ZEROS = "zeros"  # the same number once leading zeros are dropped (103 for 000103)
NAME = "name"  # the same 氏名 and カナ under another number
# HR's choice for such a line: a new person, or the registered person (the number is a mistake).
CHOICE_NEW = "new"
CHOICE_SAME = "same"

STAFF_KINDS = (CREATE, TRANSFER, UPDATE, DEACTIVATE, REACTIVATE, SKIP, UNCHANGED)
DEPARTMENT_KINDS = (CREATE, RENAME, MOVE, MERGE, RETIRE, UNCHANGED)

FIELD_LABELS = {
    "name": gettext_lazy("氏名"),
    "kana": gettext_lazy("カナ"),
    "employment_type": gettext_lazy("任用形態"),
    "start_date": gettext_lazy("着任日"),
    "email": gettext_lazy("メール"),
    "department": gettext_lazy("所属"),
    "role": gettext_lazy("役割"),
}
NAME_MAX = StaffMember._meta.get_field("name").max_length
KANA_MAX = StaffMember._meta.get_field("kana").max_length
EMAIL_MAX = 254
DEPARTMENT_NAME_MAX = Department._meta.get_field("name").max_length
DEPARTMENT_DEPTH_MAX = 10
