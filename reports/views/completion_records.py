"""修了記録: HR's list of the municipality's completion records, with CSV/XLSX downloads."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView

from ..filters import CompletionRecordFilterSet
from ..queries import completion_records as queries
from .base import ReportMixin


class CompletionRecordReportView(ReportMixin, ReportView):
    """The records a page at a time, filtered by 年度; every download streams from the query module."""

    page_title = gettext_lazy("修了記録")
    header_icon = "doc-full"
    index_url_name = "reports_admin:completion_records"
    index_results_url_name = "reports_admin:completion_records_results"
    filterset_class = CompletionRecordFilterSet
    results_template_name = "reports/admin/completion_records_results.html"
    report_slug = "completion-records"
    report_name = page_title
    export_columns = queries.COMPLETION_COLUMNS
    paginate_by = 50
    columns = [
        Column("staff_number", label=gettext_lazy("職員番号")),
        Column("staff_name", label=gettext_lazy("氏名")),
        Column("department_name", label=gettext_lazy("所属（修了時）")),
        Column("employment_type_label", label=gettext_lazy("任用形態")),
        Column("fiscal_year_label", label=gettext_lazy("年度")),
        Column("guideline_version", label=gettext_lazy("版")),
        Column("attested_at", label=gettext_lazy("誓約日時")),
        Column("verification_code", label=gettext_lazy("確認コード")),
        TitleColumn(
            "certificate",
            label=gettext_lazy("修了証"),
            accessor=lambda r: _("PDF"),
            get_url=lambda r: reverse("reports_admin:certificate_pdf", args=[r.pk]),
        ),
    ]
    # The download buttons and the downloads come from ReportMixin; Wagtail's own exporter is never used.
    list_export = ["staff_number"]
    # Wagtail's own breadcrumbs (this report is listed among Wagtail's reports).
    get_breadcrumbs_items = ReportView.get_breadcrumbs_items

    def get_queryset(self):
        return queries.completion_records(municipality=self.municipality)

    @cached_property
    def fiscal_year(self) -> int | None:
        if self.filters and self.filters.is_valid():  # an invalid filter set lists (and logs) every 年度
            value = self.filters.form.cleaned_data.get("fiscal_year")
            return int(value) if value else None
        return None

    def filter_summary(self) -> dict:
        return {"fiscal_year": self.fiscal_year}

    def export_rows(self):
        records = queries.completion_records(municipality=self.municipality, fiscal_year=self.fiscal_year)
        return queries.completion_export(records)

    def export_fiscal_year(self) -> int | None:
        return self.fiscal_year
