"""HR's completion-records report and its downloads, end to end through the admin: what the file
holds, its name, the audit entry, and a query count that does not grow with the rows."""

from __future__ import annotations

import csv
import datetime
import io
from urllib.parse import unquote

import openpyxl
import pytest
from wagtail.models import ModelLogEntry

from tests.factories import StaffMemberFactory

from .conftest import export_url, make_record, streamed

pytestmark = pytest.mark.django_db

HEADER = [
    "職員番号",
    "氏名",
    "所属コード",
    "所属名",
    "任用形態",
    "ガイドライン",
    "版",
    "年度",
    "修了日",
    "誓約日時",
    "確認コード",
    "初回正答率（%）",
]
PAYLOADS = ["=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


def read_csv(response, encoding="utf-8-sig"):
    return list(csv.reader(io.StringIO(streamed(response).decode(encoding), newline="")))


def test_hr_downloads_the_csv_with_bom_japanese_headers_and_text_ids(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.get(export_url(export="csv", fiscal_year=2025))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = streamed(response)
    assert body.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert header == HEADER
    by_number = {row[0]: row for row in rows}
    assert set(by_number) == {"00123", "00124", "00125", "00126"}  # 令和7年度 of 芦屋市 only
    ichiro = by_number["00123"]
    assert ichiro[1:5] == ["芦屋 一郎", "1100", "広報課", "一般職"]
    assert ichiro[5:8] == ["芦屋市テストガイドライン", "第1版", "令和7年度"]
    assert ichiro[8:10] == ["2025年6月2日", "2025年6月2日 10:35:00"]
    assert ichiro[10] == records.employee.verification_code
    assert ichiro[11] == "88"  # 7 of 8 at the first try


def test_the_file_name_names_municipality_year_and_date(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.get(export_url(export="xlsx", fiscal_year=2025))
    streamed(response)

    disposition = response["Content-Disposition"]
    ascii_part, utf8_part = disposition.split("; filename*=UTF-8''")
    today = datetime.date.today().isoformat()
    assert ascii_part == f'attachment; filename="ashiya_fy2025_completion-records_{today}.xlsx"'
    assert unquote(utf8_part) == f"芦屋市_令和7年度_修了記録_{today}.xlsx"
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_without_a_year_every_year_is_exported(client, world, records):
    client.force_login(world.people.hr.user)

    rows = read_csv(client.get(export_url(export="csv")))[1:]

    assert sorted(row[7] for row in rows if row[0] == "00123") == ["令和6年度", "令和7年度"]
    assert len(rows) == 5


def test_shift_jis_option(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.get(export_url(export="csv", encoding="cp932", fiscal_year=2025))

    assert response["Content-Type"] == "text/csv; charset=Shift_JIS"
    body = streamed(response)
    assert not body.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(body.decode("cp932"), newline="")))
    assert header == HEADER
    assert "芦屋 一郎" in {row[1] for row in rows}


def test_wareki_columns_on_request(client, world, records):
    client.force_login(world.people.hr.user)

    header, *rows = read_csv(client.get(export_url(export="csv", fiscal_year=2025, wareki="true")))

    assert header[8:12] == ["修了日", "修了日（和暦）", "誓約日時", "誓約日時（和暦）"]
    assert rows[0][8:12] == ["2025年6月2日", "令和7年6月2日", "2025年6月2日 10:35:00", "令和7年6月2日"]


@pytest.fixture
def injected(world):
    """People whose names are formula payloads (a roster import could bring them in)."""
    made = []
    for n, payload in enumerate(PAYLOADS):
        member = StaffMemberFactory(
            municipality=world.ashiya, department=world.tree["koho"], staff_number=f"09{n:03d}", name=payload
        )
        made.append(make_record(member, world.guidelines.ashiya))
    return made


def test_formula_payloads_in_names_are_inert_in_the_csv(client, world, injected):
    client.force_login(world.people.hr.user)

    rows = read_csv(client.get(export_url(export="csv")))[1:]

    names = {row[0]: row[1] for row in rows}
    assert [names[f"09{n:03d}"] for n in range(len(PAYLOADS))] == ["'" + p for p in PAYLOADS]


def test_formula_payloads_in_names_are_inert_in_the_xlsx(client, world, injected):
    client.force_login(world.people.hr.user)

    response = client.get(export_url(export="xlsx"))

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(streamed(response))).active
    rows = list(sheet.iter_rows(min_row=2))
    names = {row[0].value: row[1] for row in rows}
    cells = [names[f"09{n:03d}"] for n in range(len(PAYLOADS))]
    assert [c.value.replace("_x000D_", "\r") for c in cells] == ["'" + p for p in PAYLOADS]
    assert {c.data_type for c in cells} == {"s"}
    ids = [row[0] for row in rows] + [row[2] for row in rows] + [row[10] for row in rows]
    assert {(c.data_type, c.number_format) for c in ids} == {("s", "@")}
    assert "00000" not in {c.value for c in ids} and all(c.value.startswith("0") for c in ids[: len(rows)])


def test_xlsx_has_the_leading_zeros_and_real_dates(client, world, records):
    client.force_login(world.people.hr.user)

    sheet = openpyxl.load_workbook(io.BytesIO(streamed(client.get(export_url(export="xlsx", fiscal_year=2025))))).active

    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    ichiro = next(row for row in rows if row[0] == "00123")
    assert ichiro[8] == datetime.datetime(2025, 6, 2)
    assert ichiro[9] == datetime.datetime(2025, 6, 2, 10, 35)


def test_every_export_is_audited_with_who_filters_format_and_row_count(client, world, records):
    hr = world.people.hr
    client.force_login(hr.user)

    streamed(client.get(export_url(export="csv", encoding="cp932", fiscal_year=2025, wareki="true")))
    streamed(client.get(export_url(export="xlsx")))

    entries = list(ModelLogEntry.objects.filter(action="reports.exported").order_by("timestamp", "pk"))
    assert [(e.user_id, e.object_id, e.data["format"], e.data["row_count"]) for e in entries] == [
        (hr.user_id, str(world.ashiya.pk), "csv", 4),
        (hr.user_id, str(world.ashiya.pk), "xlsx", 5),
    ]
    assert entries[0].data["filters"] == {"fiscal_year": 2025, "wareki": True}
    assert entries[0].data["encoding"] == "cp932"
    assert entries[1].data["filters"] == {"wareki": False}


def test_viewing_the_report_is_audited_and_lists_only_the_municipality(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.get(export_url(fiscal_year=2025))

    assert response.status_code == 200
    page = response.content.decode()
    assert "芦屋 一郎" in page and "須賀 花子" not in page
    entry = ModelLogEntry.objects.get(action="reports.viewed")
    assert entry.user_id == world.people.hr.user_id
    assert entry.data == {"report": "completion-records", "filters": {"fiscal_year": 2025}, "row_count": 4}


def test_a_filter_that_does_not_parse_exports_nothing(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.get(export_url(export="csv", fiscal_year="2025abc"))

    assert response.status_code == 400
    assert not ModelLogEntry.objects.filter(action="reports.exported").exists()


# The user with their staff record (the session is in the cache), the user's and groups' model
# permissions (has_perm), Wagtail's user profile (the admin's language); then the export: COUNT
# and MAX in one query, the audit entry (Wagtail's log() checks that the content type and the user
# exist, then inserts), the rows through one cursor.
EXPORT_QUERIES = 9


@pytest.mark.parametrize("people", [10, 200])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_costs_the_same_queries_for_10_or_200_records(client, world, people, fmt, django_assert_num_queries):
    guideline = world.guidelines.ashiya
    for n in range(people):
        member = StaffMemberFactory(municipality=world.ashiya, department=world.tree["koho"], staff_number=f"7{n:05d}")
        make_record(member, guideline)
    client.force_login(world.people.hr.user)
    streamed(client.get(export_url(export=fmt)))  # warm-up

    with django_assert_num_queries(EXPORT_QUERIES):
        response = client.get(export_url(export=fmt))
        body = streamed(response)

    if fmt == "csv":
        assert body.decode("utf-8-sig").count("\r\n") == people + 1
    else:
        assert openpyxl.load_workbook(io.BytesIO(body)).active.max_row == people + 1


def test_headers_stay_japanese_for_hr_reading_the_admin_in_english(client, world, records):
    from wagtail.users.models import UserProfile

    hr = world.people.hr.user
    UserProfile.get_for_user(hr)
    UserProfile.objects.filter(user=hr).update(preferred_language="en")
    client.force_login(hr)
    assert "Staff number" in client.get(export_url()).content.decode()  # the admin is in English

    response = client.get(export_url(export="csv"))

    assert read_csv(response)[0] == HEADER
    assert "_修了記録_" in unquote(response["Content-Disposition"])
