"""The dry run's error lines as a CSV for HR to fix the file with (Excel opens it: UTF-8 with BOM)."""

from __future__ import annotations

import codecs
import csv
import io

from django.utils.translation import gettext as _

from sns_training.spreadsheet import escape_cell

from .plan import Plan


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text, by the one escaping rule (sns_training/spreadsheet.py)."""
    return escape_cell("" if value is None else str(value))


def errors_csv(plan: Plan) -> bytes:
    """Every error line of a plan as CSV (UTF-8 with BOM, so Excel opens it), formula-safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    key = {"staff": _("職員番号"), "departments": _("所属コード")}.get(plan.kind, _("職員番号・所属コード"))
    writer.writerow([_("行"), key, _("理由")])
    for error in plan.errors:
        writer.writerow([error.line, spreadsheet_safe(error.key), spreadsheet_safe(error.message)])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
