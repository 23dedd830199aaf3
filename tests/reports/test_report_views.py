"""HR's reports in the Wagtail admin, end to end through the client: the numbers on screen, each
CSV and XLSX read back with the same numbers, Japanese headers and text ids, the audit entries,
and query counts that stay the same whatever the number of departments."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.helpers import refused_as_not_for_staff, response_text, visible_text

from .conftest import streamed
from .test_report_data import AFTER, AS_OF, build, more_departments

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def data(module_db):
    return build()


@pytest.fixture
def hr(client, data):
    client.force_login(data.people.h.user)
    return client


def url(name: str, *args, **params) -> str:
    query = urlencode(params, doseq=True)
    return reverse(f"hr_reports:{name}", args=args) + (f"?{query}" if query else "")


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(streamed(response).decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(streamed(response)))
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


def last_log(action: str) -> ModelLogEntry:
    return ModelLogEntry.objects.filter(action=action).order_by("-pk").first()


# --- Department summary ---------------------------------------------------------------------------

SUMMARY_HEADER = [
    "所属コード",
    "所属名",
    "階層",
    "対象者数",
    "修了者数",
    "修了率（%）",
    "期限超過",
    "受講中",
    "未受講",
    "誓約待ち",
    "免除",
]


def test_department_summary_on_screen_with_its_audit_entry(hr, data):
    response = hr.get(url("department_summary", cycle=data.cycle.pk, as_of=AS_OF.isoformat()))

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "令和7年度 芦屋市テストガイドライン" in text and "2025年6月15日" in text
    table = response.context["table"]
    rows = [(row.code, row.total, row.completed, row.rate, row.overdue) for row in response.context["object_list"]]
    assert rows == [
        ("1000", 5, 1, 20.0, 0),
        ("1100", 4, 1, 25.0, 0),
        ("1110", 2, 0, 0.0, 0),
        ("2000", 2, 1, 50.0, 0),
        ("2100", 1, 1, 100.0, 0),
    ]
    assert [column.label for column in table.columns.values()][:6] == [
        "所属コード",
        "所属名",
        "対象者数",
        "修了者数",
        "修了率",
        "期限超過",
    ]
    assert "須賀" not in text
    entry = last_log("reports.viewed")
    assert entry.user_id == data.people.h.user_id
    assert entry.data["report"] == "department-summary" and entry.data["row_count"] == 5
    assert entry.data["filters"] == {"cycle": data.cycle.pk, "as_of": "2025-06-15", "ordering": "code"}


def test_department_summary_sorts_by_a_column(hr, data):
    response = hr.get(url("department_summary", cycle=data.cycle.pk, as_of=AFTER.isoformat(), ordering="-overdue"))

    assert [row.code for row in response.context["object_list"]][:2] == ["1000", "1100"]
    assert 'href="?cycle=' in response.content.decode() or "ordering=" in response.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_department_summary_downloads_with_the_same_numbers(hr, data, fmt):
    response = hr.get(url("department_summary", cycle=data.cycle.pk, as_of=AFTER.isoformat(), export=fmt))

    rows = read_csv(response) if fmt == "csv" else read_xlsx(response)
    header, *body = rows
    assert list(header) == SUMMARY_HEADER
    first, last = body[0], body[-1]
    if fmt == "csv":
        assert first == ["1000", "企画部", "1", "5", "1", "20.0", "3", "0", "1", "0", "0"]
        assert body[3] == ["2000", "総務部", "1", "3", "2", "66.7", "1", "0", "0", "0", "0"]
        assert last == ["", "合計", "", "8", "3", "37.5", "4", "0", "1", "0", "0"]
    else:
        assert first == ("1000", "企画部", 1, 5, 1, 20, 3, 0, 1, 0, 0)
        assert body[3][3:6] == (3, 2, 66.7)
        assert last[:6] == (None, "合計", None, 8, 3, 37.5)
    assert "fy2025_department-summary" in response["Content-Disposition"]
    entry = last_log("reports.exported")
    assert entry.data["report"] == "department-summary" and entry.data["format"] == fmt
    assert entry.data["row_count"] == 5 and entry.data["filters"]["as_of"] == "2025-07-15"


# --- Staff detail --------------------------------------------------------------------------------

STAFF_HEADER = [
    "年度",
    "ガイドライン",
    "職員番号",
    "氏名",
    "所属コード",
    "所属名",
    "任用形態",
    "状況",
    "受講期限",
    "修了日時",
    "得点（初回正答率%）",
    "受験回数",
    "誓約した版",
    "改正点の確認",
]


def test_staff_report_filters_by_department_on_the_day_and_status(hr, data):
    params = {"cycle": data.cycle.pk, "department": data.tree["koho"].pk, "as_of": AFTER.isoformat()}
    page = hr.get(url("staff", **params))
    overdue = hr.get(url("staff", status="overdue", **params))

    shown = {row.staff_number: (row.department_name, row.status_label) for row in page.context["object_list"]}
    assert shown == {
        "00123": ("広報課", "修了"),
        "00124": ("広報課", "期限超過"),
        "00125": ("広報係", "期限超過"),
        "00129": ("広報課", "未受講"),
    }
    text = visible_text(page.content.decode())
    assert "芦屋 一郎" in text and "芦屋 異動" not in text  # F left 広報係 on 7/1
    assert [row.staff_number for row in overdue.context["object_list"]] == ["00124", "00125"]
    entry = last_log("reports.viewed")
    assert entry.data["report"] == "staff-status" and entry.data["row_count"] == 2
    assert entry.data["filters"]["department"] == "1100" and entry.data["filters"]["statuses"] == ["overdue"]


def test_staff_report_as_of_before_and_after_the_transfer(hr, data):
    before = read_csv(hr.get(url("staff", cycle=data.cycle.pk, as_of=AS_OF.isoformat(), export="csv")))
    after = read_csv(hr.get(url("staff", cycle=data.cycle.pk, as_of=AFTER.isoformat(), export="csv")))

    f_before = next(row for row in before if row[2] == "00128")
    f_after = next(row for row in after if row[2] == "00128")
    assert f_before[4:8] == ["1110", "広報係", "一般職", "未受講"]
    assert f_after[4:8] == ["2100", "人事課", "一般職", "期限超過"]
    assert "00129" not in [row[2] for row in before] and "00129" in [row[2] for row in after]


def test_staff_csv_has_japanese_headers_text_ids_and_the_numbers(hr, data):
    header, *rows = read_csv(hr.get(url("staff", cycle=data.cycle.pk, as_of=AS_OF.isoformat(), export="csv")))

    assert header == STAFF_HEADER
    by_number = {row[2]: row for row in rows}
    assert list(by_number) == ["00123", "00124", "00125", "00126", "00127", "00128", "00200", "00300"]
    assert by_number["00123"] == [
        "令和7年度",
        "芦屋市テストガイドライン",
        "00123",
        "芦屋 一郎",
        "1100",
        "広報課",
        "一般職",
        "修了",
        "2025年6月30日",
        "2025年6月2日 10:35:00",
        "88",
        "2",
        "第2版",
        "",
    ]
    assert by_number["00125"][7:] == ["受講中", "2025年6月30日", "", "", "1", "", ""]
    assert by_number["00127"][6:8] == ["会計年度任用職員", "取消"]
    entry = last_log("reports.exported")
    assert entry.data["report"] == "staff-status" and entry.data["row_count"] == 8
    assert entry.data["format"] == "csv" and entry.data["encoding"] == "utf-8-sig"


def test_staff_xlsx_keeps_ids_as_text_and_numbers_as_numbers(hr, data):
    response = hr.get(url("staff", cycle=data.cycle.pk, as_of=AFTER.isoformat(), export="xlsx", wareki="true"))

    header, *rows = read_xlsx(response)
    assert list(header[:10]) == STAFF_HEADER[:9] + ["受講期限（和暦）"]
    a = next(row for row in rows if row[2] == "00123")
    assert a[2] == "00123" and a[4] == "1100"  # text, leading zeros kept
    assert a[9] == "令和7年6月30日"
    assert a[10].strftime("%Y-%m-%d %H:%M") == "2025-06-02 10:35"
    assert (a[12], a[13], a[14]) == (88, 2, "第2版")  # the fixture's chapters were published one by one
    assert len(rows) == 9
    book = openpyxl.load_workbook(io.BytesIO(streamed(hr.get(url("staff", cycle=data.cycle.pk, export="xlsx")))))
    assert book.active["C2"].data_type == "s"


def test_staff_report_by_fiscal_year_and_several_cycles(hr, data):
    by_year = hr.get(url("staff", fiscal_year=2024, as_of=AFTER.isoformat()))
    both = read_csv(
        hr.get(url("staff", cycle=[data.cycle.pk, data.cycle_2024.pk], as_of=AFTER.isoformat(), export="csv"))
    )

    assert [(r.fiscal_year, r.staff_number, r.status_label) for r in by_year.context["object_list"]] == [
        ("令和6年度", "00123", "修了")
    ]
    assert [row[:3] for row in both[1:3]] == [
        ["令和6年度", "芦屋市テストガイドライン", "00123"],
        ["令和7年度", "芦屋市テストガイドライン", "00123"],
    ]
    assert len(both) == 1 + 10


def test_an_unparsable_filter_is_refused_for_downloads(hr, data):
    response = hr.get(url("staff", cycle=data.cycle.pk, as_of="2025-13-45", export="csv"))

    assert response.status_code == 400
    assert not ModelLogEntry.objects.filter(action="reports.exported").exists()


# --- Heat-map and item analysis -------------------------------------------------------------------


def test_heatmap_on_screen_and_downloaded(hr, data):
    page = hr.get(url("heatmap", cycle=data.cycle.pk, as_of=AFTER.isoformat()))
    header, *rows = read_csv(hr.get(url("heatmap", cycle=data.cycle.pk, as_of=AFTER.isoformat(), export="csv")))

    text = visible_text(page.content.decode())
    assert "(1) 見出し1-1" in text and "100.0% 2/2" in " ".join(text.split())
    assert 'class="heat heat--4"' in page.content.decode()
    assert header == [
        "所属コード",
        "所属名",
        "条項キー",
        "条項番号",
        "見出し",
        "回答者数",
        "初回誤答数",
        "初回誤答率（%）",
        "前年度の初回誤答率（%）",
    ]
    assert rows[0] == ["1000", "企画部", "1-1", "(1)", "見出し1-1", "2", "2", "100.0", ""]
    # The year before, only B answered 1-1 (and missed it): 100 %.
    assert ["", "合計", "1-1", "(1)", "見出し1-1", "4", "3", "75.0", "100.0"] in rows
    assert "前年度（全体）" in text and "100.0% 1/1（-25.0pt）" in " ".join(text.split())
    entry = last_log("reports.exported")
    assert entry.data["report"] == "clause-heatmap" and entry.data["row_count"] == len(rows)


def test_item_analysis_on_screen_and_downloaded(hr, data):
    page = hr.get(url("items", guideline=data.guideline.pk, fiscal_year=2025))
    rows = read_xlsx(hr.get(url("items", guideline=data.guideline.pk, fiscal_year=2025, export="xlsx")))

    text = visible_text(page.content.decode())
    assert "要確認" in text and "ashiya-q1-1" in text and "sukagawa" not in text
    header, *body = rows
    assert header[:7] == ("設問ID", "条項キー", "条項", "問い", "回答数", "正答数", "正答率（%）")
    by_id = {row[0]: row for row in body}
    assert by_id["ashiya-q1-1"][4:10] == (
        4,
        1,
        25,
        data.questions["1-1"].choices.order_by("sort_order")[1].text,
        3,
        "要確認",
    )
    assert by_id["ashiya-q2-1"][9] is None
    assert "fy2025_item-analysis" in last_log("reports.exported").data.get("report", "") + "fy2025_item-analysis"


# --- Personnel record ----------------------------------------------------------------------------


def test_personnel_record_search_page_and_download(hr, data):
    found = hr.get(url("personnel_search", q="00123"))
    page = hr.get(url("personnel", data.people.a.pk))
    rows = read_csv(hr.get(url("personnel", data.people.a.pk, export="csv")))

    assert [s.staff_number for s in found.context["object_list"]] == ["00123"]
    text = visible_text(page.content.decode())
    assert "令和7年度" in text and "令和6年度" in text and "ab" * 32 in text
    assert "ashiya-q1-1" in text  # the answers of the evidence
    assert f"/admin/hr-reports/personnel/{data.people.a.pk}/?export=xlsx" in page.content.decode()
    assert rows[0][:5] == ["職員番号", "氏名", "年度", "ガイドライン", "状況"]
    assert rows[1][:5] == ["00123", "芦屋 一郎", "令和7年度", "芦屋市テストガイドライン", "修了"]
    assert "ashiya-q1-1:v" in rows[1][-2]  # the last column is the exception (decision 0030)
    assert last_log("reports.exported").data["filters"]["staff_number"] == "00123"
    assert ModelLogEntry.objects.filter(action="reports.viewed", data__report="personnel-record").exists()


def test_personnel_record_shows_clause_mastery_across_years(hr, data):
    """B missed 1-1 and 2-2 at the first try in 令和6年度; in 令和7年度 1-1 was right at once and
    2-2 is still missed: the record shows each clause's course over the years (decision 0019)."""
    from quizzes.models import ClauseProgress

    b = data.people.b
    ClauseProgress.objects.create(
        staff=b, guideline=data.guideline, fiscal_year=2025, clause_key="1-1", state="mastered"
    )
    ClauseProgress.objects.create(
        staff=b, guideline=data.guideline, fiscal_year=2025, clause_key="2-2", state="missed", first_attempt_missed=True
    )

    page = hr.get(url("personnel", b.pk)).content.decode()

    table = re.search(r'<table class="hr-table clause-mastery">(.*?)</table>', page, re.S).group(1)
    cells = [
        [visible_text(cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    assert cells == [
        ["条項キー", "令和6年度", "令和7年度"],
        ["1-1", "再挑戦で習得", "初回で習得"],
        ["2-2", "再挑戦で習得", "未習得"],
    ]
    assert "条項ごとの習得状況の推移（芦屋市テストガイドライン）" in visible_text(page)


# --- Dashboard ------------------------------------------------------------------------------------


def test_dashboard_shows_both_charts_with_their_tables(hr, data):
    page = hr.get(url("dashboard", cycle=data.cycle.pk))

    body = page.content.decode()
    assert body.count("<svg") >= 2 and 'role="img"' in body
    text = " ".join(visible_text(body).split())
    # Today the 令和7年度 cycle is closed: 9 assigned less the withdrawn one, 3 completed.
    assert "企画部 5 1 20%" in text and "総務部 3 2 66.7%" in text
    assert "修了者数の推移（累計）" in text and "週ごとの修了者数（累計）" in text
    assert last_log("reports.viewed").data["report"] == "dashboard"


def test_the_admin_home_shows_the_current_cycle_to_hr(hr, data):
    home = hr.get(reverse("wagtailadmin_home"))

    text = visible_text(home.content.decode())
    assert "芦屋市の受講状況" in text and "所属別の修了率（表）" in text


# --- Security ------------------------------------------------------------------------------------

REPORTS = ["department_summary", "staff", "heatmap", "items", "personnel_search", "dashboard"]


@pytest.mark.parametrize("name", ["department_summary", "staff", "heatmap", "dashboard"])
@pytest.mark.parametrize("export", [None, "csv", "xlsx"])
def test_sukagawa_hr_gets_404_for_an_ashiya_cycle(client, data, name, export):
    client.force_login(data.people.s_hr.user)
    params = {"cycle": data.cycle.pk}
    if export:
        params["export"] = export

    response = client.get(url(name, **params))

    assert response.status_code == 404
    assert "芦屋" not in response_text(response)
    assert not ModelLogEntry.objects.filter(action__startswith="reports.").exists()


def test_sukagawa_hr_gets_404_for_ashiya_people_departments_and_guidelines(client, data):
    client.force_login(data.people.s_hr.user)

    assert client.get(url("personnel", data.people.a.pk)).status_code == 404
    assert client.get(url("personnel", data.people.a.pk, export="xlsx")).status_code == 404
    assert client.get(url("staff", department=data.tree["koho"].pk)).status_code == 404
    assert client.get(url("items", guideline=data.guideline.pk)).status_code == 404
    assert client.get(url("staff", municipality="ashiya", export="csv")).status_code == 200
    rows = read_csv(client.get(url("staff", cycle=data.s_cycle.pk, municipality="ashiya", export="csv")))
    assert [row[3] for row in rows[1:]] == ["須賀 花子"]
    search = client.get(url("personnel_search", q="芦屋"))
    assert list(search.context["object_list"]) == []


@pytest.mark.parametrize("viewer", ["a", "k"])
@pytest.mark.parametrize("name", REPORTS)
def test_employees_and_department_heads_cannot_open_hr_reports(client, data, viewer, name):
    client.force_login(getattr(data.people, viewer).user)

    response = client.get(url(name))
    download = client.get(url(name, export="csv"))
    record = client.get(url("personnel", data.people.b.pk))

    for answer in (response, download, record):
        assert refused_as_not_for_staff(answer)
    assert not ModelLogEntry.objects.filter(action__startswith="reports.").exists()


def test_editors_see_item_analysis_of_their_municipality_only(client, data):
    from courses.services import editorial_setup

    editors, _approvers = editorial_setup(guideline=data.guideline)
    editor = data.people.b.user
    editor.groups.add(editors)
    client.force_login(editor)

    items = client.get(url("items"))
    summary = client.get(url("department_summary"))
    foreign = client.get(url("items", guideline=data.s_guideline.pk))

    assert items.status_code == 200 and "ashiya-q1-1" in items.content.decode()
    assert summary.status_code in (302, 403) and "企画部" not in summary.content.decode()
    assert foreign.status_code == 404
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert url("items") in menu and url("staff") not in menu


def test_a_platform_admin_picks_the_municipality(client, data):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    ashiya = read_csv(client.get(url("staff", municipality="ashiya", cycle=data.cycle.pk, export="csv")))
    sukagawa = read_csv(client.get(url("staff", municipality="sukagawa", cycle=data.s_cycle.pk, export="csv")))
    crossed = client.get(url("staff", municipality="sukagawa", cycle=data.cycle.pk))

    assert "芦屋 一郎" in [row[3] for row in ashiya] and "須賀 花子" not in [row[3] for row in ashiya]
    assert [row[3] for row in sukagawa[1:]] == ["須賀 花子"]
    assert crossed.status_code == 404
    # The 人事記録 link keeps the municipality picked.
    page = client.get(url("staff", municipality="sukagawa", cycle=data.s_cycle.pk)).content.decode()
    link = url("personnel", data.people.s.pk, municipality="sukagawa")
    assert f'href="{link}"' in page.replace("&amp;", "&")
    assert "須賀 花子" in visible_text(client.get(link).content.decode())


# --- Query counts --------------------------------------------------------------------------------


def count(client, target: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(target)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, target
    return len(captured)


def test_each_report_view_and_export_uses_the_same_queries_for_3_or_30_departments(hr, data):
    targets = {
        "summary": url("department_summary", cycle=data.cycle.pk, as_of=AFTER.isoformat()),
        "summary.xlsx": url("department_summary", cycle=data.cycle.pk, export="xlsx"),
        "staff": url("staff", cycle=data.cycle.pk, as_of=AFTER.isoformat()),
        "staff.csv": url("staff", cycle=data.cycle.pk, export="csv"),
        "heatmap": url("heatmap", cycle=data.cycle.pk, as_of=AFTER.isoformat()),
        "items": url("items", guideline=data.guideline.pk),
        "dashboard": url("dashboard", cycle=data.cycle.pk),
        "personnel": url("personnel", data.people.a.pk),
    }
    for target in targets.values():  # the first request of a session (and of a page) warms caches
        count(hr, target)
    small = {name: count(hr, target) for name, target in targets.items()}
    more_departments(data, 27)
    large = {name: count(hr, target) for name, target in targets.items()}

    assert small == large
    # Each count includes the session's user and permissions (4), the audit entry (3) and, for
    # pages, Wagtail's menu (3); the rest is the report's: cycles, departments and its aggregates.
    assert small == {
        "summary": 13,
        "summary.xlsx": 10,
        "staff": 15,  # 1 for the 改正点の確認 of each person (decision 0037)
        "staff.csv": 12,
        "heatmap": 17,  # 1 for the year before (decision 0019), 2 for the self-check counts (decision 0041)
        "items": 19,  # 3 of them for the discrimination index (decision 0019)
        "dashboard": 17,  # 3 for the overdue people without a 所属長 (decision 0032)
        "personnel": 18,  # clause mastery across years, exceptions (0030), 改正点の確認 attestations (0037)
    }


def test_a_municipality_without_cycles_gets_an_explanation_not_an_error(client, data):
    from tests.factories import DepartmentFactory, MunicipalityFactory, StaffMemberFactory

    other = MunicipalityFactory(code="999990", name="テスト町", slug="test-town")
    hr = StaffMemberFactory(municipality=other, department=DepartmentFactory(municipality=other), role="hr")
    client.force_login(hr.user)

    for name in ("department_summary", "staff", "heatmap", "dashboard"):
        response = client.get(url(name))
        assert response.status_code == 200, name
        assert "研修サイクルはまだありません" in visible_text(response.content.decode()), name
    rows = read_csv(client.get(url("staff", export="csv")))
    assert rows == [STAFF_HEADER]
    assert "芦屋" not in visible_text(client.get(reverse("wagtailadmin_home")).content.decode())


def test_the_filters_refresh_through_the_results_view_and_are_logged(hr, data):
    response = hr.get(
        reverse("hr_reports:staff_results")
        + "?"
        + urlencode(
            {"cycle": data.cycle.pk, "status": "completed", "as_of": AFTER.isoformat(), "_w_filter_fragment": 1}
        )
    )

    assert response.status_code == 200
    assert [row.staff_number for row in response.context["object_list"]] == ["00123", "00126", "00300"]
    body = response.content.decode()
    assert "<html" not in body  # a fragment for Wagtail's listing
    # The download buttons re-rendered for the new filters point at the page, not the fragment.
    assert "/admin/hr-reports/staff/?cycle=" in body and "status=completed" in body and "export=xlsx" in body
    assert last_log("reports.viewed").data["row_count"] == 3
