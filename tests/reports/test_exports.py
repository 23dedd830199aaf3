"""The export engine on its own: formula injection, encodings, text ids, dates and 和暦, file names.
What HR would notice: a cell that runs in Excel, mojibake, 職員番号 losing its zeros."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest

from reports import exports
from reports.exports import Column, Encoding, Kind
from sns_training.fiscal_year import wareki_date

PAYLOADS = ["=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "  =1+1", "＝1+1", "\u3000@A1"]
TOKYO = datetime.timezone(datetime.timedelta(hours=9))

COLUMNS = (
    Column("職員番号", Kind.CODE),
    Column("氏名", Kind.TEXT),
    Column("修了日", Kind.DATE, wareki=True),
    Column("誓約日時", Kind.DATETIME, wareki=True),
    Column("初回正答率（%）", Kind.NUMBER),
)


def rows_with(names):
    for i, name in enumerate(names):
        yield (
            f"{i:05d}",
            name,
            datetime.date(2025, 4, 1),
            datetime.datetime(2025, 4, 1, 0, 30, tzinfo=datetime.UTC),  # 09:30 in Tokyo
            88,
        )


def read_csv(data: bytes, encoding="utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_payloads_are_escaped_with_an_apostrophe(payload):
    assert exports.escape_cell(payload) == "'" + payload


@pytest.mark.parametrize("text", ["芦屋 一郎", "00123", "a=b", "O'Brien", "", "メール@example", "1-2-3"])
def test_ordinary_text_is_left_alone(text):
    assert exports.escape_cell(text) == text


def test_csv_is_utf8_with_bom_japanese_headers_and_text_ids():
    data = b"".join(exports.csv_chunks(rows_with(["芦屋 一郎"]), COLUMNS))

    assert data.startswith(b"\xef\xbb\xbf")
    header, row = read_csv(data)
    assert header == ["職員番号", "氏名", "修了日", "誓約日時", "初回正答率（%）"]
    assert row == ["00000", "芦屋 一郎", "2025年4月1日", "2025年4月1日 09:30:00", "88"]
    assert data.endswith(b"\r\n")


def test_csv_cells_with_payloads_come_out_inert():
    data = b"".join(exports.csv_chunks(rows_with(PAYLOADS), COLUMNS))

    names = [row[1] for row in read_csv(data)[1:]]
    assert names == ["'" + payload for payload in PAYLOADS]
    assert not any(name[:1] in exports.FORMULA_TRIGGERS for name in names)


def test_csv_in_cp932_decodes_and_replaces_what_cp932_lacks():
    names = ["髙橋 﨑子", "𠮷田 太郎", "山田～花子", "渡辺—一"]
    data = b"".join(exports.csv_chunks(rows_with(names), COLUMNS, encoding=Encoding.CP932))

    assert not data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data, "cp932")
    assert rows[0][0] == "職員番号"
    assert [row[1] for row in rows[1:]] == ["髙橋 﨑子", "〓田 太郎", "山田～花子", "渡辺―一"]


# U+2212 MINUS SIGN is stored as itself but written by CP932 as 「－」 (0x817C), a trigger.
CP932_ONLY_PAYLOADS = ["\u22121+1", "\u2212SUM(A1)", "  \u22121", "\u3000\u22121", "\u00a0\u22121"]


def test_csv_in_cp932_escapes_cells_that_become_formulas_once_encoded():
    data = b"".join(exports.csv_chunks(rows_with(CP932_ONLY_PAYLOADS + PAYLOADS), COLUMNS, encoding=Encoding.CP932))

    names = [row[1] for row in read_csv(data, "cp932")[1:]]
    assert names[:2] == ["'－1+1", "'－SUM(A1)"]
    assert all(name.startswith("'") for name in names)
    assert all(exports.escape_cell(name) == name for name in names)  # nothing left to escape in the file


def test_utf8_csv_keeps_the_minus_sign_as_text_a_spreadsheet_does_not_run():
    data = b"".join(exports.csv_chunks(rows_with(["\u22121+1", "芦屋 一郎"]), COLUMNS))

    assert [row[1] for row in read_csv(data)[1:]] == ["\u22121+1", "芦屋 一郎"]


def test_no_character_cp932_writes_as_a_trigger_slips_through():
    """Whatever the codec maps onto = + - @ (or their full-width forms) is escaped at the start of a cell."""
    for code in range(0x10000):
        char = chr(code)
        if 0xD800 <= code < 0xE000 or char in exports.FORMULA_TRIGGERS:
            continue
        written = exports.encode_cp932(char + "1+1").decode("cp932")
        if written[:1] in exports.FORMULA_TRIGGERS:
            assert exports.escape_cell_cp932(char + "1+1") == "'" + char + "1+1", hex(code)


def test_wareki_columns_follow_their_dates_when_asked():
    data = b"".join(exports.csv_chunks(rows_with(["芦屋 一郎"]), COLUMNS, wareki=True))

    header, row = read_csv(data)
    assert header == ["職員番号", "氏名", "修了日", "修了日（和暦）", "誓約日時", "誓約日時（和暦）", "初回正答率（%）"]
    assert row[2:6] == ["2025年4月1日", "令和7年4月1日", "2025年4月1日 09:30:00", "令和7年4月1日"]


def test_rows_are_read_lazily_in_chunks():
    """A generator of rows is consumed chunk by chunk, never listed whole."""
    consumed = []

    def rows():
        for i in range(exports.CHUNK_ROWS * 2 + 5):
            consumed.append(i)
            yield (f"{i:05d}", "名前", None, None, None)

    chunks = exports.csv_chunks(rows(), COLUMNS)
    next(chunks)  # the BOM
    first = next(chunks)
    assert len(consumed) == exports.CHUNK_ROWS
    assert first.count(b"\r\n") == exports.CHUNK_ROWS + 1  # with the header
    rest = b"".join(chunks)
    assert len(consumed) == exports.CHUNK_ROWS * 2 + 5
    assert rest.count(b"\r\n") == exports.CHUNK_ROWS + 5


def test_an_empty_export_has_the_header_line():
    data = b"".join(exports.csv_chunks(iter(()), COLUMNS))
    assert read_csv(data) == [["職員番号", "氏名", "修了日", "誓約日時", "初回正答率（%）"]]


def test_xlsx_keeps_ids_as_text_dates_as_dates_and_payloads_inert(tmp_path):
    out = io.BytesIO()
    count = exports.write_xlsx(out, rows_with(["芦屋 一郎", *PAYLOADS]), COLUMNS, wareki=True, sheet_title="修了記録")
    assert count == 1 + len(PAYLOADS)

    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.title == "修了記録"
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        "職員番号",
        "氏名",
        "修了日",
        "修了日（和暦）",
        "誓約日時",
        "誓約日時（和暦）",
        "初回正答率（%）",
    ]
    assert all(cell.font.b for cell in rows[0])
    first = rows[1]
    assert (first[0].value, first[0].data_type, first[0].number_format) == ("00000", "s", "@")
    assert first[2].value == datetime.datetime(2025, 4, 1) and first[2].is_date
    assert first[3].value == "令和7年4月1日"
    assert first[4].value == datetime.datetime(2025, 4, 1, 9, 30) and first[4].is_date
    assert first[6].value == 88
    names = [row[1] for row in rows[2:]]
    # A CR is stored as Excel's escape _x000D_ (Excel reads it back as CR; openpyxl leaves it).
    assert [c.value.replace("_x000D_", "\r") for c in names] == ["'" + payload for payload in PAYLOADS]
    assert {c.data_type for c in names} == {"s"}  # none is a formula


def test_the_file_name_carries_municipality_year_report_and_date():
    municipality = type("M", (), {"name": "芦屋市", "slug": "ashiya"})()
    name = exports.ExportFilename.build(
        municipality=municipality,
        report="修了記録",
        report_slug="completion-records",
        fiscal_year=2025,
        day=datetime.date(2025, 6, 1),
    ).with_suffix("csv")

    assert name.name == "芦屋市_令和7年度_修了記録_2025-06-01.csv"
    assert name.ascii_name == "ashiya_fy2025_completion-records_2025-06-01.csv"
    header = exports.content_disposition(name.name, name.ascii_name)
    assert header.startswith('attachment; filename="ashiya_fy2025_completion-records_2025-06-01.csv"; ')
    assert "filename*=UTF-8''%E8%8A%A6%E5%B1%8B%E5%B8%82_" in header


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (datetime.date(2025, 4, 1), "令和7年4月1日"),
        (datetime.date(2019, 5, 1), "令和元年5月1日"),
        (datetime.date(2019, 4, 30), "平成31年4月30日"),
        (datetime.date(1989, 1, 8), "平成元年1月8日"),
        (datetime.date(1989, 1, 7), "昭和64年1月7日"),
        (datetime.date(1985, 4, 1), "昭和60年4月1日"),
    ],
)
def test_wareki_dates(day, label):
    assert wareki_date(day) == label


def test_the_xlsx_package_is_well_formed_with_a_frozen_header_and_widths():
    import xml.etree.ElementTree as ET
    import zipfile

    out = io.BytesIO()
    exports.write_xlsx(out, rows_with(["芦屋 一郎"]), COLUMNS, sheet_title="修了記録")

    package = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert package.testzip() is None
    for name in package.namelist():
        ET.fromstring(package.read(name))  # every part is XML
    types = package.read("[Content_Types].xml").decode()
    for part in ("/xl/workbook.xml", "/xl/worksheets/sheet1.xml", "/xl/styles.xml"):
        assert f'PartName="{part}"' in types
    sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:E2"/>' in sheet
    workbook = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.active.freeze_panes == "A2"
    assert workbook.active.column_dimensions["A"].width == pytest.approx(14.71, abs=0.01)


def test_xlsx_text_that_xml_cannot_carry_is_escaped_as_excel_does():
    from reports import xlsx

    cell = xlsx.string_cell()
    assert cell("A1", "a\x07b") == '<c r="A1" t="inlineStr"><is><t>a_x0007_b</t></is></c>'
    assert cell("A1", "_x0041_") == '<c r="A1" t="inlineStr"><is><t>_x005F_x0041_</t></is></c>'
    assert cell("A1", "<&>") == '<c r="A1" t="inlineStr"><is><t>&lt;&amp;&gt;</t></is></c>'
    assert cell("A1", " 先頭") == '<c r="A1" t="inlineStr"><is><t xml:space="preserve"> 先頭</t></is></c>'
    assert xlsx.number_cell()("B1", float("nan")) == ""
    assert xlsx.excel_serial(datetime.date(2025, 6, 2)) == "45810"
    assert float(xlsx.excel_serial(datetime.datetime(2025, 6, 2, 12))) == 45810.5
