"""The export engine: every report downloads through here as CSV or XLSX (decision 0013).

Rows come in as an iterator of tuples, one value per column, and go out in chunks: a CSV is a
StreamingHttpResponse, an XLSX is written row by row (reports/xlsx.py) through temporary files on
disk; neither holds the rows in memory. Every string cell is escaped against formula injection,
職員番号 and 所属コード are written as text, dates as ISO (with an optional 和暦 column).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation

from sns_training.dates import day_text, moment_text
from sns_training.fiscal_year import fiscal_year_label, wareki_date
from sns_training.spreadsheet import BLANKS as _BLANKS
from sns_training.spreadsheet import FORMULA_TRIGGERS, escape_cell

CHUNK_ROWS = 1000  # rows per encoded chunk of a streamed CSV
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Kind(StrEnum):
    """How a column's values are written."""

    TEXT = "text"  # free text: escaped
    CODE = "code"  # 職員番号, 所属コード, 確認コード: always text (leading zeros kept), escaped
    DATE = "date"  # datetime.date (or an aware datetime, shown as its local day)
    DATETIME = "datetime"  # aware datetime, in local time to the second
    NUMBER = "number"  # int / float / Decimal, written as a number


@dataclass(frozen=True)
class Column:
    """One column of an export: its Japanese header and how its values are written.
    `wareki` adds a 和暦 column right after a date column when the export asks for it."""

    header: str
    kind: Kind = Kind.TEXT
    wareki: bool = False
    width: int = 0  # XLSX column width in characters (0: by kind)


class Encoding(StrEnum):
    """CSV encodings offered to the user: UTF-8 with BOM (lossless; Excel reads it as UTF-8) or
    CP932 (Shift_JIS as Windows writes it, for older tools)."""

    UTF8 = "utf-8-sig"
    CP932 = "cp932"

    @classmethod
    def parse(cls, value: str) -> Encoding:
        """The encoding a request asks for; UTF-8 for anything unknown."""
        try:
            return cls(value)
        except ValueError:
            return cls.UTF8


# --- Formula injection ---------------------------------------------------------------------------

# --- CP932 ---------------------------------------------------------------------------------------

# Characters that have a CP932 twin under another code point (Python's cp932 codec already maps
# WAVE DASH, MINUS SIGN, DOUBLE VERTICAL LINE and the like itself).
_CP932_TWINS = str.maketrans(
    {
        "\u2014": "\u2015",  # EM DASH → HORIZONTAL BAR (CP932 0x815C)
        "\u00a5": "\uffe5",  # YEN SIGN → FULLWIDTH YEN SIGN
        "\u203e": "\uffe3",  # OVERLINE → FULLWIDTH MACRON
        "\u00a0": " ",  # NO-BREAK SPACE
    }
)
_CP932_TWIN_CHARS = re.compile("[\u2014\u00a5\u203e\u00a0]")
GETA = "〓"  # the customary mark for a character the code page cannot hold


def _geta(error: UnicodeEncodeError) -> tuple[str, int]:
    # One 〓 per character (a surrogate pair is one character in Python already).
    return GETA * (error.end - error.start), error.end


codecs.register_error("reports-geta", _geta)


def encode_cp932(text: str) -> bytes:
    """CP932 bytes of the text; a character CP932 lacks (𠮷, emoji) becomes 〓, never an error."""
    if _CP932_TWIN_CHARS.search(text):
        text = text.translate(_CP932_TWINS)
    return text.encode("cp932", errors="reports-geta")


# Characters that CP932 writes as a formula trigger or a blank: U+2212 MINUS SIGN becomes 「－」
# (0x817C), NBSP a space. A cell is escaped on what the file will hold, not on what was stored.
_CP932_FIRST_CHECKED = frozenset("\u2212")


def escape_cell_cp932(value: str) -> str:
    """escape_cell for a CP932 file: decided on the cell as CP932 writes it, so `−1+1` (U+2212),
    which Excel reads back as `－1+1` and then as a formula, gets its apostrophe too."""
    if value[:1] in _FIRST_CHECKED or value[:1] in _CP932_FIRST_CHECKED:
        written = encode_cp932(value).decode("cp932")
        if escape_cell(written) != written:
            return "'" + value
    return value


# --- Cell values ---------------------------------------------------------------------------------


_FIRST_CHECKED = FORMULA_TRIGGERS | frozenset(_BLANKS)
_CP932_CHECKED = _FIRST_CHECKED | _CP932_FIRST_CHECKED


def _text(value) -> str:
    # The hot path of every export: most cells start with neither a trigger nor a blank.
    if value is None:
        return ""
    if type(value) is not str:
        value = str(value)
    return escape_cell(value) if value[:1] in _FIRST_CHECKED else value


def _text_cp932(value) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        value = str(value)
    return escape_cell_cp932(value) if value[:1] in _CP932_CHECKED else value


def _local(value: datetime.datetime, zone) -> datetime.datetime:
    return value.astimezone(zone) if timezone.is_aware(value) else value


def _as_date(value, zone):
    if isinstance(value, datetime.datetime):
        return _local(value, zone).date()
    return value


def _output_plan(columns: Sequence[Column], wareki: bool) -> list[tuple[int, Column, bool]]:
    """(source index, column, is the 和暦 twin) for every output column."""
    plan = []
    for index, column in enumerate(columns):
        plan.append((index, column, False))
        if wareki and column.wareki and column.kind in (Kind.DATE, Kind.DATETIME):
            plan.append((index, column, True))
    return plan


def headers(columns: Sequence[Column], *, wareki: bool = False) -> list[str]:
    return [
        f"{column.header}（和暦）" if twin else str(column.header) for _, column, twin in _output_plan(columns, wareki)
    ]


def _csv_formatter(column: Column, twin: bool, zone, encoding: Encoding) -> Callable:
    if twin:
        return lambda v: "" if v is None else wareki_date(_as_date(v, zone))
    if column.kind in (Kind.TEXT, Kind.CODE):
        return _text_cp932 if encoding == Encoding.CP932 else _text
    if column.kind == Kind.DATE:
        return lambda v: "" if v is None else day_text(_as_date(v, zone))
    if column.kind == Kind.DATETIME:
        return lambda v: "" if v is None else moment_text(_local(v, zone))
    return lambda v: "" if v is None else v


# --- CSV -----------------------------------------------------------------------------------------


class _Buffer:
    """What csv.writer writes into: the pieces of the current chunk."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_chunks(
    rows: Iterable[Sequence], columns: Sequence[Column], *, encoding: Encoding = Encoding.UTF8, wareki: bool = False
) -> Iterator[bytes]:
    """The encoded CSV, header first, CHUNK_ROWS rows per chunk; lines end in CRLF (RFC 4180)."""
    zone = timezone.get_current_timezone()
    plan = [
        (index, _csv_formatter(column, twin, zone, encoding)) for index, column, twin in _output_plan(columns, wareki)
    ]
    if encoding == Encoding.CP932:
        encode, escape = encode_cp932, escape_cell_cp932
    else:
        yield codecs.BOM_UTF8  # so Excel reads UTF-8; only at the start
        encode, escape = str.encode, escape_cell
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape(h) for h in headers(columns, wareki=wareki)])
    rows = iter(rows)
    while True:
        chunk = list(islice(rows, CHUNK_ROWS))
        if not chunk:
            break
        writer.writerows([[format_(row[index]) for index, format_ in plan] for row in chunk])
        yield encode(buffer.take())
    tail = buffer.take()  # the header line alone when there were no rows
    if tail:
        yield encode(tail)


def csv_response(
    *,
    rows: Iterable[Sequence],
    columns: Sequence[Column],
    filename: ExportFilename,
    encoding: Encoding = Encoding.UTF8,
    wareki: bool = False,
) -> StreamingHttpResponse:
    """A streamed CSV download; rows are read as the client reads the response."""
    charset = "Shift_JIS" if encoding == Encoding.CP932 else "utf-8"
    response = StreamingHttpResponse(
        csv_chunks(rows, columns, encoding=encoding, wareki=wareki),
        content_type=f"text/csv; charset={charset}",
    )
    _download_headers(response, filename.with_suffix("csv"))
    return response


# --- XLSX ----------------------------------------------------------------------------------------

_WIDTHS = {Kind.TEXT: 24, Kind.CODE: 14, Kind.DATE: 12, Kind.DATETIME: 20, Kind.NUMBER: 12}


def write_xlsx(
    out,
    rows: Iterable[Sequence],
    columns: Sequence[Column],
    *,
    wareki: bool = False,
    sheet_title: str = "",
) -> int:
    """Write the workbook to the binary file `out` (reports/xlsx.py, rows streamed through a
    temporary file); returns the number of rows. Text and codes are string cells (codes with the
    "@" text format), dates real dates shown 2026年4月1日, date-times local 2026年4月1日 14:05:09
    (sns_training/dates.py).
    Nothing is ever written as a formula."""
    from . import xlsx

    zone = timezone.get_current_timezone()
    text, code = xlsx.string_cell(), xlsx.string_cell(xlsx.Style.TEXT)
    date, moment, number = xlsx.date_cell(xlsx.Style.DATE), xlsx.date_cell(xlsx.Style.DATETIME), xlsx.number_cell()

    def render(column: Column, twin: bool) -> Callable[[str, object], str]:
        if twin:
            return lambda ref, v: text(ref, wareki_date(_as_date(v, zone)))
        if column.kind == Kind.TEXT:
            return lambda ref, v: text(ref, escape_cell(str(v)))
        if column.kind == Kind.CODE:
            return lambda ref, v: code(ref, escape_cell(str(v)))
        if column.kind == Kind.DATE:
            return lambda ref, v: date(ref, _as_date(v, zone))
        if column.kind == Kind.DATETIME:
            return lambda ref, v: moment(ref, _local(v, zone))
        return number

    plan = _output_plan(columns, wareki)
    sheet_columns = [
        xlsx.SheetColumn(
            header=escape_cell(header),
            width=16 if twin else (column.width or _WIDTHS[column.kind]),
            render=render(column, twin),
        )
        for header, (_, column, twin) in zip(headers(columns, wareki=wareki), plan, strict=True)
    ]
    indexes = [index for index, _, _ in plan]
    return xlsx.write_sheet(
        out, ([row[i] for i in indexes] for row in rows), sheet_columns, sheet_name=sheet_title or "Sheet1"
    )


def xlsx_response(
    *,
    rows: Iterable[Sequence],
    columns: Sequence[Column],
    filename: ExportFilename,
    wareki: bool = False,
    sheet_title: str = "",
) -> FileResponse:
    """An XLSX download, built in a temporary file on disk and sent from there."""
    out = tempfile.TemporaryFile(prefix="export-", suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        write_xlsx(out, rows, columns, wareki=wareki, sheet_title=sheet_title or filename.report)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = FileResponse(out, content_type=XLSX_CONTENT_TYPE)
    _download_headers(response, filename.with_suffix("xlsx"))
    return response


# --- File names and headers ----------------------------------------------------------------------

_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


@dataclass(frozen=True)
class ExportFilename:
    """<自治体>_<令和N年度>_<帳票>_<YYYY-MM-DD>.<ext>, with an ASCII twin for old clients
    (<slug>_fy<YYYY>_<report-slug>_<YYYY-MM-DD>.<ext>)."""

    municipality: str
    municipality_slug: str
    report: str
    report_slug: str
    fiscal_year: int | None
    day: datetime.date
    suffix: str = ""

    @classmethod
    def build(cls, *, municipality, report: str, report_slug: str, fiscal_year: int | None, day=None):
        with translation.override("ja"):
            report = str(report)
        return cls(
            municipality=municipality.name,
            municipality_slug=municipality.slug,
            report=report,
            report_slug=report_slug,
            fiscal_year=fiscal_year,
            day=day or timezone.localdate(),
        )

    def with_suffix(self, suffix: str) -> ExportFilename:
        return ExportFilename(**{**self.__dict__, "suffix": suffix})

    @property
    def name(self) -> str:
        year = fiscal_year_label(self.fiscal_year) if self.fiscal_year else "全年度"
        stem = "_".join((self.municipality, year, self.report, self.day.isoformat()))
        return _UNSAFE_IN_NAME.sub("_", stem) + (f".{self.suffix}" if self.suffix else "")

    @property
    def ascii_name(self) -> str:
        year = f"fy{self.fiscal_year}" if self.fiscal_year else "all-years"
        stem = "_".join((self.municipality_slug, year, self.report_slug, self.day.isoformat()))
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
        return stem + (f".{self.suffix}" if self.suffix else "")


def content_disposition(name: str, ascii_name: str) -> str:
    """attachment with an ASCII filename= for old clients and the real name as RFC 5987 filename*."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _download_headers(response, filename: ExportFilename) -> None:
    response["Content-Disposition"] = content_disposition(filename.name, filename.ascii_name)
    # Personal data: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "private, no-store"


# --- One entry point for views -------------------------------------------------------------------


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def export_response(
    *,
    fmt: Format | str,
    rows: Iterable[Sequence],
    columns: Sequence[Column],
    filename: ExportFilename,
    encoding: Encoding | str = Encoding.UTF8,
    wareki: bool = False,
):
    """The download in the asked format (an unknown format is a programming error: ValueError)."""
    fmt = Format(fmt)
    if fmt == Format.XLSX:
        return xlsx_response(rows=rows, columns=columns, filename=filename, wareki=wareki)
    return csv_response(rows=rows, columns=columns, filename=filename, encoding=Encoding(encoding), wareki=wareki)
