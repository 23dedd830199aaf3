"""所属別の受講状況: each department's counts of one cycle on a day, sub-departments rolled up."""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column

from ..filters import (
    DepartmentSummaryFilterSet,
)
from ..queries import department_summary as queries
from .base import ListReportView, int_or_none, percent


class DepartmentSummaryView(ListReportView):
    """対象者数・修了者数・修了率・期限超過 per department of one cycle, each with its
    sub-departments rolled up, as of a day; sortable by each figure."""

    page_title = gettext_lazy("所属別の受講状況")
    header_icon = "table"
    report_slug = "department-summary"
    report_name = gettext_lazy("所属別受講状況")
    index_url_name = "hr_reports:department_summary"
    index_results_url_name = "hr_reports:department_summary_results"
    results_template_name = "reports/admin/department_summary_results.html"
    filterset_class = DepartmentSummaryFilterSet
    export_columns = queries.SUMMARY_COLUMNS
    default_ordering = "code"
    columns = [
        Column("code", label=gettext_lazy("所属コード"), sort_key="code"),
        Column("name", label=gettext_lazy("所属名"), accessor=lambda row: row.department.indented_name),
        Column("total", label=gettext_lazy("対象者数"), sort_key="total"),
        Column("completed", label=gettext_lazy("修了者数"), sort_key="completed"),
        Column("rate", label=gettext_lazy("修了率"), sort_key="rate", accessor=lambda row: percent(row.rate)),
        Column("overdue", label=gettext_lazy("期限超過"), sort_key="overdue"),
        Column("in_progress", label=gettext_lazy("受講中")),
        Column("not_started", label=gettext_lazy("未受講")),
        Column("awaiting", label=gettext_lazy("誓約待ち")),
        Column("exempt", label=gettext_lazy("免除")),
    ]

    def filter_choices(self):
        return {"cycle": self.cycle_choices()}

    @cached_property
    def summary(self):
        if self.cycle is None:
            return None
        return queries.department_summary(
            cycle=self.cycle,
            as_of=self.as_of,
            departments=self.departments,
            max_depth=int_or_none(self.cleaned.get("depth")),
            ordering=self.ordering or "code",
        )

    def get_queryset(self):
        return self.summary.rows if self.summary else []

    def filter_summary(self):
        return {
            "cycle": self.cycle.pk if self.cycle else None,
            "as_of": self.as_of.isoformat(),
            "depth": int_or_none(self.cleaned.get("depth")),
            "ordering": self.ordering,
        }

    def export_rows(self):
        if self.summary is None:
            return 0, iter(())
        rows = queries.summary_export_rows(self.summary)
        return len(rows) - 1, rows  # the total line is not a department
