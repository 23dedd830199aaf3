"""Reading and planning staff-roster and department-master CSV files: the dry run.

Nothing here writes. `staff_plan` and `department_plan` read the municipality's current data in a
fixed number of queries and say line by line what a commit would do and which lines are wrong;
`people.services` stores the upload and applies a plan (docs/decisions/0012).

- `reading`: file size, encoding, header, cells, dates, and the shared constants;
- `staff`: one cleaner per roster column, the checks across lines, the classification of changes;
- `departments`: the same for the department master;
- `combined`: a department master and a roster in one upload (decision 0045);
- `plan`: the Plan a dry run returns (rows, errors, digest, the dry-run page's summary);
- `errors_csv`: the error lines as a CSV.
"""

from __future__ import annotations

from .combined import CombinedPlan, Reorganisation, combined_plan, dated_ahead
from .departments import department_plan
from .errors_csv import errors_csv, spreadsheet_safe
from .plan import DepartmentRow, Existing, LineError, Plan, StaffRow
from .reading import (
    CHOICE_NEW,
    CHOICE_SAME,
    CREATE,
    DEACTIVATE,
    DEPARTMENT_COLUMNS,
    EMPLOYMENT_TYPES,
    IN_CHUNK,
    MERGE,
    MOVE,
    REACTIVATE,
    RENAME,
    RETIRE,
    SKIP,
    STAFF_COLUMNS,
    TRANSFER,
    UNCHANGED,
    UPDATE,
    RosterFileError,
    decode,
    max_bytes,
    max_lines,
    parse_date,
    read_table,
    size_check,
)
from .staff import staff_plan

__all__ = [
    "CHOICE_NEW",
    "CHOICE_SAME",
    "CREATE",
    "CombinedPlan",
    "Reorganisation",
    "combined_plan",
    "dated_ahead",
    "DEACTIVATE",
    "DEPARTMENT_COLUMNS",
    "EMPLOYMENT_TYPES",
    "IN_CHUNK",
    "MERGE",
    "MOVE",
    "REACTIVATE",
    "RENAME",
    "RETIRE",
    "SKIP",
    "STAFF_COLUMNS",
    "TRANSFER",
    "UNCHANGED",
    "UPDATE",
    "DepartmentRow",
    "Existing",
    "LineError",
    "Plan",
    "RosterFileError",
    "StaffRow",
    "decode",
    "department_plan",
    "errors_csv",
    "max_bytes",
    "max_lines",
    "parse_date",
    "plan_for",
    "read_table",
    "size_check",
    "spreadsheet_safe",
    "staff_plan",
]


def plan_for(
    *,
    kind: str,
    municipality,
    content: bytes,
    user=None,
    on=None,
    choices=None,
    retire_missing=False,
    departments_content: bytes = b"",
) -> Plan | CombinedPlan:
    """The dry run of a file; `choices` (line → "new" / "same:<number>") and `retire_missing`
    apply to a staff roster only; `departments_content` is the master uploaded with a roster
    (kind "reorganisation")."""
    if kind == "reorganisation":
        return combined_plan(
            municipality=municipality,
            content=content,
            departments_content=departments_content,
            user=user,
            on=on,
            choices=choices,
            retire_missing=retire_missing,
        )
    if kind == "staff":
        return staff_plan(
            municipality=municipality,
            content=content,
            user=user,
            on=on,
            choices=choices,
            retire_missing=retire_missing,
        )
    return department_plan(municipality=municipality, content=content, user=user, on=on)
