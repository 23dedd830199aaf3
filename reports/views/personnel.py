"""人事記録: find a person, then their training across every 年度 with its evidence."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView

from people.models import StaffMember

from ..filters import (
    PersonnelSearchFilterSet,
)
from ..queries import personnel as queries
from .base import ReportMixin, ReportPageView


class PersonnelSearchView(ReportMixin, ReportView):
    """Pick a person by 職員番号 or 氏名 to open their personnel record (retired people included)."""

    page_title = gettext_lazy("人事記録")
    header_icon = "folder-open-inverse"
    report_slug = "personnel-search"
    index_url_name = "hr_reports:personnel_search"
    index_results_url_name = "hr_reports:personnel_search_results"
    filterset_class = PersonnelSearchFilterSet
    is_searchable = True
    search_fields = ["staff_number", "name", "kana"]
    paginate_by = 50

    @cached_property
    def columns(self):
        """Built per request: the 氏名 link may carry the municipality a platform admin picked."""
        return [
            Column("staff_number", label=gettext_lazy("職員番号"), sort_key="staff_number"),
            TitleColumn(
                "name", label=gettext_lazy("氏名"), sort_key="kana", get_url=lambda s: self.personnel_url(s.pk)
            ),
            Column("kana", label=gettext_lazy("カナ")),
            Column("department", label=gettext_lazy("所属"), accessor=lambda staff: staff.department.name),
            Column("employment_type", label=gettext_lazy("任用形態"), accessor="get_employment_type_display"),
            Column("is_active", label=gettext_lazy("在職"), accessor=lambda s: _("在職") if s.is_active else _("退職")),
        ]

    default_ordering = "staff_number"

    def get_base_queryset(self):
        return queries.staff_search(municipality=self.municipality)

    def filter_summary(self):
        return {"q": self.search_query, "is_active": self.cleaned.get("is_active")}

    def get_header_more_buttons(self):
        return []


class PersonnelRecordView(ReportPageView):
    """One person's training across every 年度, with each completion's evidence (content hash,
    revisions, questions and answers); downloads as CSV or XLSX."""

    template_name = "reports/admin/personnel_record.html"
    header_icon = "folder-open-inverse"
    report_slug = "personnel-record"
    export_columns = queries.PERSONNEL_COLUMNS

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.is_export = request.GET.get("export") in ("csv", "xlsx")

    @cached_property
    def staff(self) -> StaffMember:
        return get_object_or_404(queries.staff_search(municipality=self.municipality), pk=self.kwargs["pk"])

    @cached_property
    def record(self) -> queries.PersonnelRecord:
        return queries.personnel_record(staff=self.staff, on=self.today)

    @property
    def report_name(self):
        return _("人事記録_%(number)s") % {"number": self.staff.staff_number}

    def get_page_title(self):
        return _("人事記録")

    def get_page_subtitle(self):
        return f"{self.staff.name}（{self.staff.staff_number}）"

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("hr_reports:personnel_search"), "label": _("人事記録")},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def export_fiscal_year(self):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = self.record
        context["items_count"] = len(self.record.years)
        return context

    def filter_summary(self):
        return {"staff_number": self.staff.staff_number}

    def export_rows(self):
        rows = queries.personnel_export_rows(self.record)
        return len(rows), rows
