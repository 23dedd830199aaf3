"""条項別の誤答率: departments × clauses, the share of first answers that missed."""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

from ..filters import (
    HeatmapFilterSet,
)
from ..queries import heatmap as queries
from .base import ListReportView, int_or_none


class HeatmapView(ListReportView):
    """Departments × clauses: the share of first answers that missed each clause, so HR and editors
    see which clauses people misunderstand."""

    page_title = gettext_lazy("条項別の誤答率")
    header_icon = "warning"
    report_slug = "clause-heatmap"
    report_name = gettext_lazy("条項別誤答率")
    index_url_name = "hr_reports:heatmap"
    index_results_url_name = "hr_reports:heatmap_results"
    results_template_name = "reports/admin/heatmap_results.html"
    filterset_class = HeatmapFilterSet
    export_columns = queries.HEATMAP_COLUMNS

    def filter_choices(self):
        return {"cycle": self.cycle_choices()}

    @cached_property
    def heatmap(self):
        if self.cycle is None:
            return None
        return queries.clause_heatmap(
            cycle=self.cycle,
            as_of=self.as_of,
            departments=self.departments,
            depth=int_or_none(self.cleaned.get("depth")) or 1,
        )

    @cached_property
    def selfcheck(self):
        """Which rules of the pre-posting self-check fired, per department, in the cycle's 年度
        (selfcheck/, decision 0041): the clauses people struggle with in practice."""
        from selfcheck.selectors import rule_counts_by_department
        from sns_training.fiscal_year import fiscal_year_bounds

        if self.cycle is None:
            return None
        since, until = fiscal_year_bounds(self.cycle.fiscal_year)
        return rule_counts_by_department(
            user=self.request.user,
            municipality=self.municipality,
            departments=self.departments,
            depth=int_or_none(self.cleaned.get("depth")) or 1,
            since=since,
            until=until,
        )

    def get_queryset(self):
        return self.heatmap.rows if self.heatmap else []

    def filter_summary(self):
        return {
            "cycle": self.cycle.pk if self.cycle else None,
            "as_of": self.as_of.isoformat(),
            "depth": int_or_none(self.cleaned.get("depth")) or 1,
        }

    def export_rows(self):
        rows = queries.heatmap_export_rows(self.heatmap) if self.heatmap else []
        return len(rows), rows
