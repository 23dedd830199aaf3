"""Formula-injection escaping for every file a spreadsheet opens (DESIGN §4.7): the report exports
(reports/exports.py, which adds the CP932 rule) and the roster's error list (people/roster/errors_csv.py)."""

# A cell that starts with one of these is read as a formula (or becomes one) by Excel, LibreOffice
# or Google Sheets. Tab, CR and LF come from OWASP, NUL from ASVS 1.2.10; the full-width forms
# because Japanese Excel turns them into the ASCII operators as it reads a cell.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0＝＋－＠")
# Leading blanks do not protect a cell: spreadsheet programs skip them before looking for a formula.
BLANKS = " \u3000\u00a0"


def escape_cell(value: str) -> str:
    """The text with a leading apostrophe when a spreadsheet could run it (OWASP CSV injection):
    `=1+1` → `'=1+1`, `  @SUM(A1)` → `'  @SUM(A1)`. Other text is returned unchanged."""
    if not value:
        return value
    first = value[0]
    if first in FORMULA_TRIGGERS or (first in BLANKS and value.lstrip(BLANKS)[:1] in FORMULA_TRIGGERS):
        return "'" + value
    return value
