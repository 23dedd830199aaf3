"""The report selectors (reports/queries/) on the known dataset of test_report_data.py: the
numbers HR reads, as of a day before and after a transfer, and a query count that does not grow
with the number of departments."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizzes.models import ScenarioQuestion
from reports.queries.common import department_index
from reports.queries.department_summary import department_summary, summary_export_rows
from reports.queries.heatmap import clause_heatmap
from reports.queries.items import item_analysis
from reports.queries.personnel import personnel_export_rows, personnel_record
from reports.queries.staff import StaffFilter, StaffRowMaker, staff_assignments, staff_export

from .test_report_data import AFTER, AS_OF, build, more_departments

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def data(module_db):
    return build()


def summary_of(data, day, **kwargs):
    departments = department_index(municipality=data.ashiya)
    return department_summary(cycle=data.cycle, as_of=day, departments=departments, **kwargs)


def figures(summary) -> dict[str, tuple]:
    return {
        row.code: (row.total, row.completed, row.overdue, row.in_progress, row.not_started, row.rate)
        for row in summary.rows
    }


def test_department_summary_before_the_due_date_rolls_sub_departments_up(data):
    summary = summary_of(data, AS_OF)

    assert figures(summary) == {
        "1000": (5, 1, 0, 1, 3, 20.0),  # 企画部: itself, 広報課 and 広報係
        "1100": (4, 1, 0, 1, 2, 25.0),
        "1110": (2, 0, 0, 1, 1, 0.0),  # F is still in 広報係 on 6/15
        "2000": (2, 1, 0, 1, 0, 50.0),
        "2100": (1, 1, 0, 0, 0, 100.0),  # E withdrawn on 5/1: not counted
    }
    assert [row.code for row in summary.rows] == ["1000", "1100", "1110", "2000", "2100"]  # tree order
    t = summary.total
    assert (t.total, t.completed, t.overdue, t.in_progress, t.rate) == (7, 2, 0, 2, 28.6)


def test_department_summary_after_the_transfer_counts_the_transferee_in_the_new_department(data):
    summary = summary_of(data, AFTER)

    assert figures(summary) == {
        "1000": (5, 1, 3, 0, 1, 20.0),  # K, B and C overdue; G hired 7/1 and not yet due
        "1100": (4, 1, 2, 0, 1, 25.0),
        "1110": (1, 0, 1, 0, 0, 0.0),
        "2000": (3, 2, 1, 0, 0, 66.7),  # D completed 6/20; F moved to 人事課 on 7/1
        "2100": (2, 1, 1, 0, 0, 50.0),
    }
    assert (summary.total.total, summary.total.completed, summary.total.overdue) == (8, 3, 4)


def test_department_summary_sorts_and_limits_the_depth(data):
    by_rate = summary_of(data, AFTER, ordering="-rate")
    top_only = summary_of(data, AFTER, max_depth=1)

    assert [row.code for row in by_rate.rows] == ["2000", "2100", "1100", "1000", "1110"]
    assert [(row.code, row.total) for row in top_only.rows] == [("1000", 5), ("2000", 3)]


def test_the_summary_export_rows_end_with_the_total(data):
    rows = summary_export_rows(summary_of(data, AS_OF))

    assert rows[0] == ("1000", "企画部", 1, 5, 1, 20.0, 0, 1, 3, 0, 0)
    assert rows[2][1] == "\u3000\u3000広報係"
    assert rows[-1] == (None, "合計", None, 7, 2, 28.6, 0, 2, 3, 0, 0)


def staff_rows(data, day, **selection):
    departments = department_index(municipality=data.ashiya)
    maker = StaffRowMaker(cycles=[data.cycle, data.cycle_2024], departments=departments)
    queryset = staff_assignments(
        municipality=data.ashiya, selection=StaffFilter(cycle_ids=(data.cycle.pk,), as_of=day, **selection)
    )
    return {row.staff_number: row for row in maker.rows(queryset)}


def test_staff_rows_before_the_due_date(data):
    rows = staff_rows(data, AS_OF)

    assert list(rows) == ["00123", "00124", "00125", "00126", "00127", "00128", "00200", "00300"]  # no G yet
    shown = {n: (r.department_code, r.status_label, r.score, r.attempts, r.version) for n, r in rows.items()}
    assert shown == {
        "00123": ("1100", "修了", 88, 2, "第2版"),  # the fixture's two chapters were published one by one
        "00124": ("1100", "未受講", None, 0, ""),  # the 2024 attempt is outside the cycle
        "00125": ("1110", "受講中", None, 1, ""),
        "00126": ("2000", "受講中", None, 1, ""),  # completes 6/20: not yet
        "00127": ("2100", "取消", None, 0, ""),
        "00128": ("1110", "未受講", None, 0, ""),
        "00200": ("1000", "未受講", None, 0, ""),
        "00300": ("2100", "修了", 100, 2, "第2版"),
    }
    a = rows["00123"]
    assert (a.fiscal_year, a.name, a.department_name, a.employment_type) == (
        "令和7年度",
        "芦屋 一郎",
        "広報課",
        "一般職",
    )
    assert timezone.localtime(a.completed_at).strftime("%Y-%m-%d %H:%M") == "2025-06-02 10:35"  # attested
    assert rows["00127"].employment_type == "会計年度任用職員"


def test_staff_rows_after_the_transfer(data):
    rows = staff_rows(data, AFTER)

    assert rows["00128"].department_code == "2100" and rows["00128"].status_label == "期限超過"
    assert rows["00126"].status_label == "修了" and rows["00126"].score == 75
    assert rows["00129"].status_label == "未受講"  # hired 7/1, due 7/31
    assert rows["00124"].status_label == "期限超過"


def test_staff_filters_use_the_department_on_the_day(data):
    departments = department_index(municipality=data.ashiya)
    koho_subtree = tuple(departments.subtree_ids(data.tree["koho"].pk))

    before = staff_rows(data, AS_OF, department_ids=koho_subtree)
    after = staff_rows(data, AFTER, department_ids=koho_subtree)

    assert sorted(before) == ["00123", "00124", "00125", "00128"]
    assert sorted(after) == ["00123", "00124", "00125", "00129"]


def test_staff_filters_by_status_employment_type_and_completion_date(data):
    overdue = staff_rows(data, AFTER, statuses=("overdue",))
    fiscal = staff_rows(data, AFTER, employment_types=("fiscal_year",))
    june = staff_rows(data, AFTER, completed_from=datetime.date(2025, 6, 1), completed_to=datetime.date(2025, 6, 30))
    june_as_of_the_15th = staff_rows(
        data, AS_OF, completed_from=datetime.date(2025, 6, 1), completed_to=datetime.date(2025, 6, 30)
    )

    assert sorted(overdue) == ["00124", "00125", "00128", "00200"]
    assert list(fiscal) == ["00127"]
    assert sorted(june) == ["00123", "00126"]
    assert list(june_as_of_the_15th) == ["00123"]  # D's completion on 6/20 had not happened yet


def test_the_staff_export_counts_before_it_streams(data):
    departments = department_index(municipality=data.ashiya)
    maker = StaffRowMaker(cycles=[data.cycle], departments=departments)
    queryset = staff_assignments(
        municipality=data.ashiya, selection=StaffFilter(cycle_ids=(data.cycle.pk,), as_of=AFTER)
    )

    count, rows = staff_export(queryset, maker)
    rows = list(rows)

    assert count == len(rows) == 9

    # The fast path gives what the listing's rows give (on PostgreSQL times come as local wall-clock
    # time, which the export engine writes the same way).
    def local(row):
        return tuple(
            timezone.make_naive(v) if isinstance(v, datetime.datetime) and timezone.is_aware(v) else v for v in row
        )

    assert [local(row) for row in rows] == [local(row.as_tuple()) for row in maker.rows(queryset)]
    assert rows[0][:8] == (
        "令和7年度",
        "芦屋市テストガイドライン",
        "00123",
        "芦屋 一郎",
        "1100",
        "広報課",
        "一般職",
        "修了",
    )


def test_heatmap_by_top_level_department(data):
    departments = department_index(municipality=data.ashiya)

    heatmap = clause_heatmap(cycle=data.cycle, as_of=AFTER, departments=departments, depth=1)

    assert [d.code for d in heatmap.departments] == ["1000", "2000"]
    assert [row.clause.key for row in heatmap.rows] == ["1-1", "1-2", "2-1", "2-2"]  # guideline order
    assert heatmap.rows[0].clause.label == "(1) 見出し1-1"
    cells = {row.clause.key: [(c.missed, c.answered, c.share) for c in row.cells] for row in heatmap.rows}
    assert cells == {
        "1-1": [(2, 2, 100.0), (1, 2, 50.0)],
        "1-2": [(1, 2, 50.0), (1, 1, 100.0)],
        "2-1": [(0, 1, 0.0), (1, 1, 100.0)],
        "2-2": [(0, 1, 0.0), (0, 0, None)],
    }
    assert (heatmap.rows[0].total.missed, heatmap.rows[0].total.answered, heatmap.rows[0].total.share) == (3, 4, 75.0)
    assert heatmap.rows[0].cells[0].level == 4 and heatmap.rows[2].cells[0].level == 0


def test_heatmap_shows_each_clause_the_year_before(data):
    """Clause mastery across years: beside this 年度's first-try misses, the municipality's the
    年度 before on the same guideline, and the change in points (decision 0019)."""
    from quizzes.models import ClauseProgress

    last_year = data.cycle.fiscal_year - 1  # B already missed 1-1 and 2-2 at the first try then
    for person, missed in ((data.people.a, True), (data.people.c, False)):
        ClauseProgress.objects.create(
            staff=person,
            guideline=data.guideline,
            fiscal_year=last_year,
            clause_key="1-1",
            state="mastered",
            first_attempt_missed=missed,
        )

    heatmap = clause_heatmap(
        cycle=data.cycle, as_of=AFTER, departments=department_index(municipality=data.ashiya), depth=1
    )

    first = heatmap.rows[0]
    assert first.clause.key == "1-1"
    assert (first.previous.missed, first.previous.answered, first.previous.share) == (2, 3, 66.7)
    assert first.change == 8.3  # 75.0 % this year against 66.7 %
    assert heatmap.rows[1].previous.answered == 0 and heatmap.rows[1].change is None
    last = heatmap.rows[3]
    assert last.clause.key == "2-2" and (last.total.share, last.previous.share, last.change) == (0.0, 100.0, -100.0)


def test_heatmap_by_section_follows_the_department_history(data):
    departments = department_index(municipality=data.ashiya)

    deep = clause_heatmap(cycle=data.cycle, as_of=AS_OF, departments=departments, depth=3)

    columns = [d.code for d in deep.departments]
    assert columns == ["1100", "1110", "2000", "2100"]  # 企画部 itself answered nothing
    one_one = dict(zip(columns, [(c.missed, c.answered) for c in deep.rows[0].cells], strict=True))
    assert one_one == {"1100": (1, 1), "1110": (1, 1), "2000": (0, 1), "2100": (1, 1)}


def test_item_analysis_flags_a_question_whose_wrong_choice_wins(data):
    questions = ScenarioQuestion.objects.filter(guideline__municipality=data.ashiya)

    all_time = {s.question.clause_key: s for s in item_analysis(questions=questions, guideline=data.guideline)}
    this_year = {
        s.question.clause_key: s
        for s in item_analysis(
            questions=questions,
            guideline=data.guideline,
            since=datetime.date(2025, 4, 1),
            until=datetime.date(2026, 3, 31),
        )
    }

    one_one = this_year["1-1"]
    assert (one_one.answered, one_one.correct, one_one.share_correct) == (4, 1, 25.0)
    assert [c.count for c in one_one.choices] == [1, 3, 0]
    assert one_one.top_wrong.text == one_one.choices[1].text and one_one.flagged
    assert this_year["1-2"].flagged and this_year["1-2"].top_wrong.count == 2
    assert not this_year["2-1"].flagged  # one right, one wrong: a tie is not flagged
    assert (this_year["2-2"].answered, this_year["2-2"].share_correct, this_year["2-2"].top_wrong) == (1, 100.0, None)
    # With B's right answers of 2024, 1-2 ties (2 right, 2 on the same wrong choice).
    assert (all_time["1-1"].answered, all_time["1-1"].correct) == (5, 2) and all_time["1-1"].flagged
    assert not all_time["1-2"].flagged
    assert list(this_year) == ["1-1", "1-2", "2-1", "2-2"]


def test_personnel_record_holds_every_year_and_the_evidence(data):
    record = personnel_record(staff=data.people.a, on=AFTER)

    assert [(y.fiscal_year_label, y.status_label) for y in record.years] == [
        ("令和7年度", "修了"),
        ("令和6年度", "修了"),
    ]
    evidence = record.years[0].evidence.record
    assert evidence.content_hash == "ab" * 32 and evidence.verification_code == data.records.a.verification_code
    rows = personnel_export_rows(record)
    assert rows[0][:5] == ("00123", "芦屋 一郎", "令和7年度", "芦屋市テストガイドライン", "修了")
    assert rows[0][12] == "ab" * 32


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_each_report_uses_a_fixed_number_of_queries_whatever_the_departments(data):
    questions = ScenarioQuestion.objects.filter(guideline__municipality=data.ashiya)

    def run_all():
        departments = department_index(municipality=data.ashiya)
        summary = department_summary(cycle=data.cycle, as_of=AFTER, departments=departments)
        heatmap = clause_heatmap(cycle=data.cycle, as_of=AFTER, departments=departments, depth=2)
        items = item_analysis(questions=questions, guideline=data.guideline)
        maker = StaffRowMaker(cycles=[data.cycle], departments=departments)
        rows = maker.rows(
            staff_assignments(municipality=data.ashiya, selection=StaffFilter(cycle_ids=(data.cycle.pk,), as_of=AFTER))
        )
        return summary, heatmap, items, rows

    counts = {}
    counts["summary"] = count_queries(
        lambda: department_summary(
            cycle=data.cycle, as_of=AFTER, departments=department_index(municipality=data.ashiya)
        )
    )
    small = count_queries(run_all)
    more_departments(data, 25)
    large = count_queries(run_all)
    summary, heatmap, _items, rows = run_all()

    assert counts["summary"] == 2  # the department index and one grouped query
    # The index, the summary, the heat-map (counts, chapters), the item analysis (answers, chapters,
    # questions, their choices; for the discrimination index the answers by person, the chapters'
    # clauses and their clause progress) and the staff rows.
    assert small == large == 13
    assert len(summary.rows) == 30 and len(rows) == 34
    assert len(heatmap.departments) == 28  # 広報課, 総務部 (D), 人事課 and the 25 new 課
