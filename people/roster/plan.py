"""What a dry run found: the rows of a plan, its errors and warnings, the digest a commit is
checked against, and the summary the dry-run page shows."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..models import Municipality, StaffMember
from .reading import (
    CREATE,
    DEPARTMENT_KINDS,
    DISPLAY_CAP,
    ENCODING_LABELS,
    FIELD_LABELS,
    KIND_LABELS,
    MERGE,
    RETIRE,
    SKIP,
    STAFF_KINDS,
    TRANSFER,
    UNCHANGED,
    ZEROS,
    Table,
)


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
    demote: bool = False  # a 所属長 who leaves or transfers loses the post (decision 0027)
    role: str | None = None  # the 役割 column (None: no column or an empty cell, keep)
    # A new 職員番号 that looks like a registered person (zeros dropped, or the same 氏名 + カナ):
    # the person it resembles, why, and HR's choice ("new" / "same"; None: not yet chosen).
    resembles: Existing | None = None
    resemblance: str = ""  # ZEROS or NAME
    choice: str | None = None
    written_number: str = ""  # the 職員番号 as the line wrote it, when "same" replaced it
    retired_missing: bool = False  # not in the file; retired by 「この名簿にない職員を退職扱いにする」


@dataclass(slots=True)
class DepartmentRow:
    line: int
    code: str
    name: str
    parent_code: str  # "" = top level
    kind: str = UNCHANGED
    pk: int | None = None
    changes: dict[str, tuple] = field(default_factory=dict)
    retire: bool = False  # the 廃止 column
    merge_into: str = ""  # the 統合先コード column
    staff_count: int = 0  # people in it on the effective day (moved by a merge)


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
    retire_missing: bool = False

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def resembling(self) -> list[StaffRow]:
        """The lines flagged 警告: a new 職員番号 that looks like a registered person."""
        return [r for r in self.rows if isinstance(r, StaffRow) and r.resembles is not None]

    @property
    def unresolved(self) -> list[StaffRow]:
        """Warned lines without HR's choice: a commit is refused while there is one."""
        return [r for r in self.resembling if r.choice is None]

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
        return self._digest(lambda pk: pk)

    def digest_by_code(self) -> str:
        """The digest with departments named by 所属コード, not pk: a roster planned against the
        departments a master file will create (placeholder pks, decision 0045) hashes the same as
        the roster planned again once they exist."""
        return self._digest(lambda pk: self.departments.get(pk, ("?", ""))[0])

    def _digest(self, department_key: Callable) -> str:
        h = hashlib.sha256()
        for row in self.rows:
            if row.kind == UNCHANGED:
                continue
            changes = row.changes
            if isinstance(row, StaffRow):
                ident = row.existing.pk if row.existing else ""
                department = department_key(row.department_id)
                parts = (row.kind, row.number, ident, department, row.active, row.demote, row.email)
                if row.role is not None:
                    parts += (row.role,)
                if "department" in changes:
                    old, new = changes["department"]
                    changes = {**changes, "department": (department_key(old), department_key(new))}
            else:
                parts = (row.kind, row.code, row.pk or "", row.parent_code, row.name, row.merge_into, row.staff_count)
            h.update(repr((parts, sorted(changes.items()))).encode())
            h.update(b"\n")
        for row in self.resembling:
            # Which person each warned line resembles, and the choice made: a commit re-plans with
            # the choices, so a changed resemblance or choice cannot pass as the one confirmed.
            h.update(repr(("resembles", row.line, row.resembles.pk, row.resemblance, row.choice)).encode())
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
        if name == "role":
            return str(StaffMember.Role(value).label)
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
                + ([self._changes_text(row)] if row.changes else [])
            )
            if row.kind == SKIP:
                note = _("登録のない人が「退職」のため、取り込みません。")
        elif row.kind == TRANSFER:
            old, new = row.changes["department"]
            detail = f"{self._department_label(old)} → {self._department_label(new)}"
            rest = self._changes_text(row, skip=("department",))
            if rest:
                detail = f"{detail}；{rest}"
            if row.demote and row.role == StaffMember.Role.DEPARTMENT_HEAD:
                note = _("異動先の所属長になります。異動前の所属の所属長は空席になります。")
            elif row.demote:
                note = _(
                    "所属長は所属のポストのため、異動先には引き継ぎません。「職員」にし、異動前の所属の所属長は空席になります。"
                )
        else:
            detail = self._changes_text(row) or self._department_label(row.department_id)
            if row.demote:
                note = _("所属長の役割を外し、「職員」にします。")
        return detail, note

    def _department_detail(self, row: DepartmentRow) -> str:
        if row.kind == MERGE:
            return _("統合先: %(into)s（職員%(count)s人が異動）") % {"into": row.merge_into, "count": row.staff_count}
        if row.kind == RETIRE:
            return _("廃止します。")
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

    def _resembling_entry(self, row: StaffRow) -> dict:
        other = row.resembles
        if row.resemblance == ZEROS:
            reason = _(
                "職員番号 %(number)s は、登録済みの %(other)s の先頭の 0 が落ちたもの（Excel で開いて保存したときなど）かもしれません。"
            ) % {"number": row.written_number or row.number, "other": other.number}
        else:
            reason = _("氏名とカナが、別の職員番号で登録済みの %(other)s の人と同じです。") % {"other": other.number}
        return {
            "line": row.line,
            "key": row.written_number or row.number,
            "name": row.name,
            "kana": row.kana,
            "reason": reason,
            "other_number": other.number,
            "other_name": other.name,
            "other_kana": other.kana,
            "other_department": self._department_label(other.department_id),
            "other_active": other.is_active,
            "choice": row.choice or "",
        }

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
                    if row.retired_missing:
                        note = _("この名簿にないため、退職にします。")
                    elif row.resembles is not None and row.choice is None:
                        note = _("警告：既存の職員（%(number)s）に似ています。下の「警告」で選んでください。") % {
                            "number": row.resembles.number
                        }
                    line_label = "" if row.retired_missing else row.line
                    rows.append(
                        {"line": line_label, "key": row.number, "name": row.name, "detail": detail, "note": note}
                    )
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
            "retire_missing": self.retire_missing,
            "resembling": [self._resembling_entry(row) for row in self.resembling[:DISPLAY_CAP]],
            "resembling_count": len(self.resembling),
            "resembling_more": max(0, len(self.resembling) - DISPLAY_CAP),
            "digest": self.digest,
        }


def flag_repeats(
    row_errors: dict[int, list[str]], lines_by_key: dict[str, list[int]], message: Callable[[str, str], str]
) -> None:
    """Every line of a key the file holds more than once gets `message(key, where)`, where lists
    the lines (「2行目、5行目」)."""
    for key, lines in lines_by_key.items():
        if len(lines) > 1:
            where = "、".join(f"{n}行目" for n in lines)
            for line in lines:
                row_errors.setdefault(line, []).append(message(key, where))


def plan_build(*, kind: str, table: Table, warnings: list[str], **fields) -> Plan:
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
