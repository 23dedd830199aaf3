"""The XLSX the exports write (reports/xlsx.py, our own streaming writer) opened by a real
spreadsheet application: LibreOffice Calc converts it to CSV, and what it read must be what HR
expects — ids with their zeros, dates as dates, 和暦, and formula payloads as inert text.

Runs where LibreOffice is installed (.ci/run installs libreoffice-calc-nogui); skips elsewhere."""

from __future__ import annotations

import csv
import datetime
import shutil
import subprocess

import pytest

from reports.exports import Column, Kind, write_xlsx

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
COLUMNS = (
    Column("職員番号", Kind.CODE),
    Column("氏名", Kind.TEXT),
    Column("修了日", Kind.DATE, wareki=True),
    Column("誓約日時", Kind.DATETIME),
    Column("初回正答率（%）", Kind.NUMBER),
)
ROWS = [
    ("000123", "芦田 花子", datetime.date(2026, 5, 1), datetime.datetime(2026, 5, 1, 9, 30, tzinfo=TOKYO), 87),
    (
        "00045",
        "=cmd|' /C calc'!A0",
        datetime.date(2026, 6, 2),
        datetime.datetime(2026, 6, 2, 14, 5, 9, tzinfo=TOKYO),
        100,
    ),
    (
        "7",
        '@SUM(A1) <b> & "引用"',
        datetime.date(2027, 3, 31),
        datetime.datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO),
        66.7,
    ),
]


def test_libreoffice_reads_the_export_as_hr_expects(tmp_path, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    workbook = tmp_path / "export.xlsx"
    with workbook.open("wb") as out:
        assert write_xlsx(out, ROWS, COLUMNS, wareki=True, sheet_title="修了記録") == 3

    # CSV filter options: comma, double quote, UTF-8 (76), from line 1, language, quoted fields
    # as text, detect special numbers, then the 9th: save cell contents as shown (true), so the
    # dates come out in the number format the workbook gives them.
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false",
            "--outdir",
            str(tmp_path),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )

    with (tmp_path / "export.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["職員番号", "氏名", "修了日", "修了日（和暦）", "誓約日時", "初回正答率（%）"],
        ["000123", "芦田 花子", "2026年5月1日", "令和8年5月1日", "2026年5月1日 09:30:00", "87"],
        ["00045", "'=cmd|' /C calc'!A0", "2026年6月2日", "令和8年6月2日", "2026年6月2日 14:05:09", "100"],
        ["7", '\'@SUM(A1) <b> & "引用"', "2027年3月31日", "令和9年3月31日", "2027年3月31日 23:59:00", "66.7"],
    ]
