"""The dry run of a department master: each line's cells, then the checks across lines (a code
twice, an unknown parent, a cycle, a tree too deep), then what a commit would do (create, rename,
move). Parents may come after their children. Nothing here writes."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _

from ..models import Department, DepartmentMembership, Municipality
from .plan import DepartmentRow, LineError, Plan, flag_repeats, plan_build
from .reading import (
    CREATE,
    DEPARTMENT_ALIASES,
    DEPARTMENT_COLUMNS,
    DEPARTMENT_DEPTH_MAX,
    DEPARTMENT_NAME_MAX,
    DEPARTMENT_OPTIONAL_COLUMNS,
    MERGE,
    MOVE,
    RENAME,
    RETIRE,
    RETIRE_MARKS,
    Table,
    _cells,
    _clean,
    _fold,
    _key_cell,
    read_table,
)

_VALID_CODE = re.compile(r"^[0-9A-Za-z-]{1,20}$")


@dataclass
class DepartmentContext:
    """The municipality's departments as the plan reads them (one query), and what the lines found."""

    current: dict[str, tuple[int, str, int | None]]  # code → (pk, name, parent pk)
    code_of: dict[int, str]  # pk → code
    retired: set[str] = field(default_factory=set)  # codes already abolished
    lines_by_code: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    row_errors: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, municipality: Municipality) -> DepartmentContext:
        current, retired = {}, set()
        for pk, code, name, parent_id, retired_on in (
            Department.objects.filter(municipality=municipality)
            .order_by()
            .values_list("pk", "code", "name", "parent_id", "retired_on")
        ):
            current[code] = (pk, name, parent_id)
            if retired_on is not None:
                retired.add(code)
        return cls(current=current, code_of={pk: code for code, (pk, _n, _p) in current.items()}, retired=retired)


def _staff_counts(municipality: Municipality, on: datetime.date) -> dict[int, int]:
    """People per department on `on` (from `on` on, for those arriving later): one query, only
    when the file abolishes or merges something."""
    rows = (
        DepartmentMembership.objects.filter(department__municipality=municipality, valid_to__isnull=True)
        .values("department_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["department_id"]: row["count"] for row in rows}


def _line_problems(code: str, name: str, parent_code: str) -> list[str]:
    problems = []
    if not code:
        problems.append(_("所属コードが空です。"))
    elif not _VALID_CODE.match(code):
        problems.append(
            _("所属コード「%(code)s」は半角英数字とハイフン（20文字以内）で入力してください。") % {"code": code}
        )
    if not name:
        problems.append(_("名称が空です。"))
    elif len(name) > DEPARTMENT_NAME_MAX:
        problems.append(_("名称が長すぎます（%(max)s文字以内）。") % {"max": DEPARTMENT_NAME_MAX})
    if parent_code and parent_code == code:
        problems.append(_("自分自身を上位所属にはできません。"))
    return problems


def _read_lines(table: Table, context: DepartmentContext, errors: list[LineError]) -> list[DepartmentRow]:
    rows = []
    for line, cells in table.rows:
        values, problem = _cells(table, cells)
        if problem:
            errors.append(LineError(line, _key_cell(table, cells, "所属コード"), problem))
            continue
        code = _fold(values["所属コード"])
        name = _clean(values["名称"])
        parent_code = _fold(values["上位所属コード"])
        retire_cell = _fold(values.get("廃止", "")).upper()
        merge_into = _fold(values.get("統合先コード", ""))
        if code and _VALID_CODE.match(code):
            context.lines_by_code[code].append(line)
        problems = _line_problems(code, name, parent_code)
        if retire_cell and retire_cell not in RETIRE_MARKS and retire_cell not in {"0", "FALSE", "NO"}:
            problems.append(_("廃止は「1」か「廃止」で指定してください（空欄：廃止しない）。"))
        if merge_into and merge_into == code:
            problems.append(_("自分自身には統合できません。"))
        if problems:
            context.row_errors[line] = problems
        row = DepartmentRow(line, code, name, parent_code)
        row.retire = retire_cell in RETIRE_MARKS or bool(merge_into)
        row.merge_into = merge_into
        rows.append(row)
    return rows


def _check_parents(rows: list[DepartmentRow], context: DepartmentContext) -> None:
    """Every parent is registered or in the file."""
    for row in rows:
        if row.line in context.row_errors or not row.parent_code:
            continue
        if row.parent_code not in context.lines_by_code and row.parent_code not in context.current:
            context.row_errors[row.line] = [
                _("上位所属コード「%(code)s」は登録されておらず、このファイルにもありません。")
                % {"code": row.parent_code}
            ]


def _check_tree(rows: list[DepartmentRow], context: DepartmentContext) -> None:
    """The tree after the commit (the file's parent where the file says, the database's
    elsewhere) has no cycle and is not too deep."""
    parent_of = {code: context.code_of.get(parent_id, "") for code, (_pk, _n, parent_id) in context.current.items()}
    for row in rows:
        if row.line not in context.row_errors:
            parent_of[row.code] = row.parent_code
    for row in rows:
        if row.line in context.row_errors:
            continue
        chain = [row.code]
        code = row.parent_code
        while code:
            if code in chain:
                cycle = chain[chain.index(code) :] + [code]
                context.row_errors[row.line] = [
                    _("上位所属コードが循環しています（%(cycle)s）。") % {"cycle": " → ".join(cycle)}
                ]
                break
            chain.append(code)
            code = parent_of.get(code, "")
        else:
            if len(chain) > DEPARTMENT_DEPTH_MAX:
                context.row_errors[row.line] = [
                    _("階層が深すぎます（%(max)s階層まで）。") % {"max": DEPARTMENT_DEPTH_MAX}
                ]


def _check_reorganisation(rows: list[DepartmentRow], context: DepartmentContext, staff_counts: dict[int, int]) -> None:
    """廃止 and 統合先コード: only a registered department goes away; a merge's target exists and
    stays; a department keeps no live department below it; only a merge may take people with it."""
    going = {row.code for row in rows if row.retire and row.line not in context.row_errors} | context.retired
    parent_of = {code: context.code_of.get(parent_id, "") for code, (_pk, _n, parent_id) in context.current.items()}
    for row in rows:
        if row.line not in context.row_errors:
            parent_of[row.code] = row.parent_code
    for row in rows:
        if row.line in context.row_errors or not row.retire:
            continue
        problems = []
        found = context.current.get(row.code)
        if found is None:
            problems.append(_("登録されていない所属は廃止・統合できません。"))
        elif row.code in context.retired:
            row.retire = False  # already abolished: nothing to do
            continue
        if row.merge_into:
            if row.merge_into not in context.current and row.merge_into not in context.lines_by_code:
                problems.append(
                    _("統合先コード「%(code)s」は登録されておらず、このファイルにもありません。")
                    % {"code": row.merge_into}
                )
            elif row.merge_into in going:
                problems.append(_("統合先「%(code)s」は廃止される所属です。") % {"code": row.merge_into})
            else:
                walk = row.merge_into
                while walk:
                    if walk == row.code:
                        problems.append(_("下位所属には統合できません。"))
                        break
                    walk = parent_of.get(walk, "")
        elif found is not None and staff_counts.get(found[0]):
            problems.append(
                _("職員が%(count)s人いる所属は廃止できません。統合先コードを指定するか、先に異動させてください。")
                % {"count": staff_counts[found[0]]}
            )
        live_children = sorted(code for code, parent in parent_of.items() if parent == row.code and code not in going)
        if live_children:
            problems.append(
                _("廃止されない下位所属（%(codes)s）があります。") % {"codes": "、".join(live_children[:10])}
            )
        if found is not None:
            row.staff_count = staff_counts.get(found[0], 0)
        if problems:
            context.row_errors[row.line] = problems


def _classify(rows: list[DepartmentRow], context: DepartmentContext, errors: list[LineError]) -> None:
    for row in rows:
        if row.line in context.row_errors:
            row.kind = "error"
            errors.append(LineError(row.line, row.code, "".join(context.row_errors[row.line])))
            continue
        found = context.current.get(row.code)
        if found is None:
            row.kind = CREATE
            continue
        pk, name, parent_id = found
        row.pk = pk
        if row.retire:
            row.kind = MERGE if row.merge_into else RETIRE
            continue
        old_parent = context.code_of.get(parent_id, "")
        if name != row.name:
            row.changes["name"] = (name, row.name)
        if old_parent != row.parent_code:
            row.changes["parent"] = (old_parent, row.parent_code)
        if "parent" in row.changes:
            row.kind = MOVE
        elif row.changes:
            row.kind = RENAME


def department_plan(*, municipality: Municipality, content: bytes, user=None, on: datetime.date | None = None) -> Plan:
    """The dry run of a department master: each line created, renamed, moved or unchanged, or an
    error (unknown parent, a cycle, a code twice…). Parents may come after their children. One query."""
    table = read_table(
        content, columns=DEPARTMENT_COLUMNS, aliases=DEPARTMENT_ALIASES, optional=DEPARTMENT_OPTIONAL_COLUMNS
    )
    context = DepartmentContext.read(municipality)
    errors: list[LineError] = []
    rows = _read_lines(table, context, errors)
    flag_repeats(
        context.row_errors,
        context.lines_by_code,
        lambda _code, where: _("所属コードがファイル内で重複しています（%(lines)s）。") % {"lines": where},
    )
    _check_parents(rows, context)
    _check_tree(rows, context)
    if any(row.retire for row in rows):
        _check_reorganisation(rows, context, _staff_counts(municipality, on or datetime.date.today()))
    _classify(rows, context, errors)
    errors.sort(key=lambda e: e.line)
    rows = [r for r in rows if r.kind != "error"]
    absent = sorted(
        (code, name, "")
        for code, (_pk, name, _p) in context.current.items()
        if code not in context.lines_by_code and code not in context.retired
    )
    warnings = []
    if absent:
        warnings.append(
            _("ファイルにない所属が%(count)s件あります。この所属は変更も削除もしません。") % {"count": len(absent)}
        )
    return plan_build(
        kind="departments",
        municipality=municipality,
        table=table,
        rows=rows,
        errors=errors,
        warnings=warnings,
        absent=absent,
        on=on,
    )
