"""HR's reports in the Wagtail admin (issue 5, decision 0015): department summary, staff detail,
clause heat-map, item analysis and the personnel record, each a Wagtail ReportView with a filter
set, shown on screen and downloaded as CSV or XLSX through reports/exports.py.

Registered under /admin/hr-reports/ by reports/wagtail_hooks.py (`urlpatterns` below). Views only
parse the filters, call reports/queries.py and write the audit entry (reports/services.py):
`reports.viewed` for every page shown, `reports.exported` before the first byte of a download.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from courses.models import GuidelinePage
from people.models import StaffMember
from quizzes.models import ScenarioQuestion
from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_label, fiscal_year_of

from . import exports, queries, selectors, services
from .admin_exports import ExportMixin
from .filters import (
    DepartmentSummaryFilterSet,
    HeatmapFilterSet,
    ItemAnalysisFilterSet,
    PersonnelSearchFilterSet,
    StaffReportFilterSet,
)


def _int(value) -> int | None:
    """A choice filter's value ("2") as a number (the choices were validated already)."""
    return int(value) if value not in (None, "") else None


def _percent(value) -> str:
    return "—" if value is None else f"{value:g}%"


class HRReportMixin(ExportMixin):
    """What every HR report shares: the municipality the viewer may read (resolved before anything
    else; PermissionDenied for anyone without the reports permission), the filter choices offered
    from that municipality only (a forged id is a 404), the audit entry of each view and export,
    and the download buttons."""

    report_slug = ""
    report_name = gettext_lazy("レポート")
    # Filters whose value names another object: a value not offered to the viewer answers 404.
    scoped_filters = ("cycle", "department", "guideline")
    export_columns: tuple = ()

    def resolve_municipality(self, request):
        return selectors.report_municipality(user=request.user, requested=request.GET.get("municipality"))

    def dispatch(self, request, *args, **kwargs):
        self.municipality = self.resolve_municipality(request)
        return super().dispatch(request, *args, **kwargs)

    # --- Data the filters and the report share (one query each) ---

    @cached_property
    def today(self) -> datetime.date:
        return timezone.localdate()

    @cached_property
    def cycles(self):
        return queries.cycles_of(municipality=self.municipality)

    @cached_property
    def departments(self) -> queries.DepartmentIndex:
        return queries.department_index(municipality=self.municipality)

    def cycle_choices(self) -> list[tuple[str, str]]:
        return [(str(c.pk), f"{c.fiscal_year_label} {c.guideline.title}") for c in self.cycles]

    def filter_choices(self) -> dict:
        """Choices of the filter set's fields, from the viewer's municipality only."""
        return {}

    def get_filterset_kwargs(self):
        return {**super().get_filterset_kwargs(), "report": self}

    @cached_property
    def cleaned(self) -> dict:
        """The valid filter values (an invalid one is left out; a forged scoped one is a 404)."""
        filters = self.filters
        if not filters:
            return {}
        filters.is_valid()
        if any(name in filters.form.errors for name in self.scoped_filters):
            raise Http404
        return filters.form.cleaned_data

    @cached_property
    def cycle(self):
        wanted = self.cleaned.get("cycle")
        if wanted:
            return next(c for c in self.cycles if str(c.pk) == str(wanted))
        return queries.current_cycle(self.cycles, self.today)

    @cached_property
    def as_of(self) -> datetime.date:
        return self.cleaned.get("as_of") or self.today

    def filter_summary(self) -> dict:
        """The filters as written to the audit log (JSON)."""
        return {}

    def row_count(self, context) -> int:
        return context.get("items_count", 0)

    # --- Views, exports, audit ---

    def get(self, request, *args, **kwargs):
        self.cleaned  # noqa: B018 - a forged scoped filter answers 404 before anything is read
        if getattr(self, "is_export", False):
            return self.export(request.GET.get("export"), request.GET.get("encoding") or exports.Encoding.UTF8)
        response = super().get(request, *args, **kwargs)
        services.report_view_log(
            user=request.user,
            municipality=self.municipality,
            report=self.report_slug,
            filters=self.filter_summary(),
            row_count=self.row_count(response.context_data),
        )
        return response

    def export_fiscal_year(self) -> int | None:
        return self.cycle.fiscal_year if getattr(self, "cycle", None) else None

    @cached_property
    def wareki(self) -> bool:
        return bool(self.cleaned.get("wareki"))

    def get_breadcrumbs_items(self):
        return [{"url": "", "label": self.get_page_title()}]

    def personnel_url(self, staff_id: int) -> str:
        """A person's 人事記録 (a platform admin keeps the municipality they picked)."""
        target = reverse("hr_reports:personnel", args=[staff_id])
        if self.request.user.is_superuser:
            target += "?" + urlencode({"municipality": self.municipality.slug})
        return target


class ListReportView(HRReportMixin, ReportView):
    """A report whose rows are computed (a rollup, a matrix) rather than a queryset to narrow: the
    filter set only parses, ordering is applied by the selector."""

    paginate_by = None

    def filter_queryset(self, queryset):
        return queryset

    def order_queryset(self, queryset):
        return queryset


# --- Department summary ---------------------------------------------------------------------------


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
        Column("rate", label=gettext_lazy("修了率"), sort_key="rate", accessor=lambda row: _percent(row.rate)),
        Column("overdue", label=gettext_lazy("期限超過"), sort_key="overdue"),
        Column("in_progress", label=gettext_lazy("受講中")),
        Column("not_started", label=gettext_lazy("未受講")),
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
            max_depth=_int(self.cleaned.get("depth")),
            ordering=self.ordering or "code",
        )

    def get_queryset(self):
        return self.summary.rows if self.summary else []

    def filter_summary(self):
        return {
            "cycle": self.cycle.pk if self.cycle else None,
            "as_of": self.as_of.isoformat(),
            "depth": _int(self.cleaned.get("depth")),
            "ordering": self.ordering,
        }

    def export_rows(self):
        if self.summary is None:
            return 0, iter(())
        rows = queries.summary_export_rows(self.summary)
        return len(rows) - 1, rows  # the total line is not a department


# --- Staff detail --------------------------------------------------------------------------------


class StaffReportView(HRReportMixin, ReportView):
    """One row per person and cycle: 職員番号, 氏名, 所属, 任用形態, status, 修了日時, score, attempts,
    attested version — with the department and status as they stood on the 基準日."""

    page_title = gettext_lazy("職員別の受講状況")
    header_icon = "user"
    report_slug = "staff-status"
    report_name = gettext_lazy("職員別受講状況")
    index_url_name = "hr_reports:staff"
    index_results_url_name = "hr_reports:staff_results"
    results_template_name = "reports/admin/staff_results.html"
    filterset_class = StaffReportFilterSet
    export_columns = queries.STAFF_COLUMNS
    paginate_by = 50
    default_ordering = "staff__staff_number"

    @cached_property
    def columns(self):
        """Built per request: the 氏名 link may carry the municipality a platform admin picked."""
        return [
            Column("fiscal_year", label=gettext_lazy("年度")),
            Column("staff_number", label=gettext_lazy("職員番号"), sort_key="staff__staff_number"),
            TitleColumn(
                "name",
                label=gettext_lazy("氏名"),
                sort_key="staff__kana",
                get_url=lambda row: self.personnel_url(row.staff_id),
            ),
            Column("department", label=gettext_lazy("所属"), accessor=lambda row: row.department_name),
            Column("employment_type", label=gettext_lazy("任用形態")),
            Column("status", label=gettext_lazy("状況"), sort_key="status_at", accessor=lambda row: row.status_label),
            Column(
                "completed_at",
                label=gettext_lazy("修了日時"),
                sort_key="completed_at",
                accessor=lambda row: (
                    timezone.localtime(row.completed_at).strftime("%Y-%m-%d %H:%M") if row.completed_at else "—"
                ),
            ),
            Column("score", label=gettext_lazy("得点"), accessor=lambda row: _percent(row.score)),
            Column("attempts", label=gettext_lazy("受験回数")),
            Column("version", label=gettext_lazy("誓約した版"), accessor=lambda row: row.version or "—"),
        ]

    def filter_choices(self):
        years = sorted({c.fiscal_year for c in self.cycles}, reverse=True)
        return {
            "cycle": self.cycle_choices(),
            "fiscal_year": [(year, fiscal_year_label(year)) for year in years],
            "department": self.departments.choices(),
            "employment_type": list(StaffMember.EmploymentType.choices),
            "status": list(queries.Status.choices),
        }

    def get_valid_orderings(self):
        return [f"{sign}{key}" for key in queries.STAFF_ORDERINGS for sign in ("", "-")]

    @cached_property
    def chosen_cycles(self) -> list:
        wanted = {str(pk) for pk in self.cleaned.get("cycle") or ()}
        if wanted:
            return [c for c in self.cycles if str(c.pk) in wanted]
        year = _int(self.cleaned.get("fiscal_year"))
        if year:
            return [c for c in self.cycles if c.fiscal_year == year]
        current = queries.current_cycle(self.cycles, self.today)
        return [current] if current else []

    @cached_property
    def cycle(self):
        return self.chosen_cycles[0] if len(self.chosen_cycles) == 1 else None

    @cached_property
    def selection(self) -> queries.StaffFilter:
        data = self.cleaned
        department = data.get("department")
        completed = data.get("completed")
        return queries.StaffFilter(
            cycle_ids=tuple(c.pk for c in self.chosen_cycles),
            as_of=self.as_of,
            department_ids=tuple(self.departments.subtree_ids(int(department))) if department else None,
            employment_types=tuple(data.get("employment_type") or ()),
            statuses=tuple(data.get("status") or ()),
            completed_from=completed.start.date() if completed and completed.start else None,
            completed_to=completed.stop.date() if completed and completed.stop else None,
        )

    @cached_property
    def row_maker(self) -> queries.StaffRowMaker:
        return queries.StaffRowMaker(cycles=self.cycles, departments=self.departments)

    def assignments(self):
        return queries.staff_assignments(
            municipality=self.municipality, selection=self.selection, ordering=self.ordering
        )

    def get_queryset(self):
        return self.assignments().values_list(*queries.STAFF_FIELDS)

    def filter_queryset(self, queryset):
        return queryset

    def order_queryset(self, queryset):
        return queryset

    def paginate_queryset(self, queryset, page_size):
        # Rows become StaffRows before the table is built from them (one page, no query).
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        return paginator, page, [self.row_maker(values) for values in object_list], is_paginated

    def export_fiscal_year(self):
        years = {c.fiscal_year for c in self.chosen_cycles}
        return years.pop() if len(years) == 1 else None

    def filter_summary(self):
        s = self.selection
        department = self.departments.get(int(self.cleaned["department"])) if self.cleaned.get("department") else None
        return {
            "cycles": list(s.cycle_ids),
            "fiscal_year": _int(self.cleaned.get("fiscal_year")),
            "as_of": s.as_of.isoformat(),
            "department": department.code if department else None,
            "employment_types": list(s.employment_types),
            "statuses": list(s.statuses),
            "completed_from": s.completed_from.isoformat() if s.completed_from else None,
            "completed_to": s.completed_to.isoformat() if s.completed_to else None,
            "ordering": self.ordering,
        }

    def export_rows(self):
        return queries.staff_export(self.assignments(), self.row_maker)


# --- Clause heat-map -----------------------------------------------------------------------------


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
            cycle=self.cycle, as_of=self.as_of, departments=self.departments, depth=_int(self.cleaned.get("depth")) or 1
        )

    def get_queryset(self):
        return self.heatmap.rows if self.heatmap else []

    def filter_summary(self):
        return {
            "cycle": self.cycle.pk if self.cycle else None,
            "as_of": self.as_of.isoformat(),
            "depth": _int(self.cleaned.get("depth")) or 1,
        }

    def export_rows(self):
        rows = queries.heatmap_export_rows(self.heatmap) if self.heatmap else []
        return len(rows), rows


# --- Item analysis -------------------------------------------------------------------------------


class ItemAnalysisView(ListReportView):
    """Per question: share correct, how often each choice was chosen, the most chosen wrong choice;
    a question whose wrong choice beats the correct one is flagged. For HR and for the editors and
    approvers of the municipality's questions."""

    page_title = gettext_lazy("設問分析")
    header_icon = "help"
    report_slug = "item-analysis"
    report_name = gettext_lazy("設問分析")
    index_url_name = "hr_reports:items"
    index_results_url_name = "hr_reports:items_results"
    results_template_name = "reports/admin/items_results.html"
    filterset_class = ItemAnalysisFilterSet
    export_columns = queries.ITEM_COLUMNS

    def resolve_municipality(self, request):
        return selectors.item_analysis_municipality(user=request.user, requested=request.GET.get("municipality"))

    @cached_property
    def guidelines(self) -> list:
        return list(
            GuidelinePage.objects.visible_to(self.request.user)
            .filter(municipality=self.municipality)
            .order_by("path")
            .only("pk", "title", "path", "depth", "municipality_id")
        )

    def filter_choices(self):
        years = sorted({c.fiscal_year for c in self.cycles} | {fiscal_year_of(self.today)}, reverse=True)
        return {
            "guideline": [(str(g.pk), g.title) for g in self.guidelines],
            "fiscal_year": [(year, fiscal_year_label(year)) for year in years],
        }

    @cached_property
    def guideline(self):
        wanted = self.cleaned.get("guideline")
        if wanted:
            return next(g for g in self.guidelines if str(g.pk) == str(wanted))
        return self.guidelines[0] if self.guidelines else None

    @cached_property
    def stats(self) -> list:
        if self.guideline is None:
            return []
        year = _int(self.cleaned.get("fiscal_year"))
        since, until = fiscal_year_bounds(year) if year else (None, None)
        return queries.item_analysis(
            questions=ScenarioQuestion.objects.visible_to(self.request.user),
            guideline=self.guideline,
            since=since,
            until=until,
        )

    def get_queryset(self):
        return self.stats

    @property
    def fiscal_year_label(self) -> str:
        year = _int(self.cleaned.get("fiscal_year"))
        return fiscal_year_label(year) if year else ""

    def export_fiscal_year(self):
        return _int(self.cleaned.get("fiscal_year"))

    def filter_summary(self):
        return {
            "guideline": self.guideline.pk if self.guideline else None,
            "fiscal_year": _int(self.cleaned.get("fiscal_year")),
        }

    def export_rows(self):
        rows = queries.item_export_rows(self.stats)
        return len(rows), rows


# --- Personnel record (人事記録) -------------------------------------------------------------------


class PersonnelSearchView(HRReportMixin, ReportView):
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


class PersonnelRecordView(HRReportMixin, WagtailAdminTemplateMixin, TemplateView):
    """One person's training across every 年度, with each completion's evidence (content hash,
    revisions, questions and answers); downloads as CSV or XLSX."""

    template_name = "reports/admin/personnel_record.html"
    header_icon = "folder-open-inverse"
    report_slug = "personnel-record"
    export_columns = queries.PERSONNEL_COLUMNS
    filters = None

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


# --- HR dashboard (charts) -----------------------------------------------------------------------


class DashboardView(HRReportMixin, WagtailAdminTemplateMixin, TemplateView):
    """The HR dashboard: completion by department (bars) and over the cycle (line), each with the
    same figures in a table for screen readers (reports/dashboard.py)."""

    template_name = "reports/admin/dashboard.html"
    page_title = gettext_lazy("受講状況ダッシュボード")
    header_icon = "doc-full-inverse"
    report_slug = "dashboard"
    filters = None
    is_export = False

    @cached_property
    def cycle(self):
        wanted = self.request.GET.get("cycle")
        if wanted:
            for cycle in self.cycles:
                if str(cycle.pk) == wanted:
                    return cycle
            raise Http404
        return queries.current_cycle(self.cycles, self.today)

    def get_context_data(self, **kwargs):
        from . import dashboard

        context = super().get_context_data(**kwargs)
        context["cycles"] = self.cycles
        context["cycle"] = self.cycle
        context["dashboard"] = (
            dashboard.build(cycle=self.cycle, as_of=self.today, departments=self.departments) if self.cycle else None
        )
        context["items_count"] = len(context["dashboard"].bars.rows) if context["dashboard"] else 0
        context["municipality"] = self.municipality
        context["is_superuser"] = self.request.user.is_superuser
        return context

    def filter_summary(self):
        return {"cycle": self.cycle.pk if self.cycle else None}

    def get_header_buttons(self):
        return []


def _report(view, name: str, route: str):
    """The page and its results-only twin (what Wagtail's filters refresh)."""
    return [
        path(route, view.as_view(), name=name),
        path(f"{route}results/", view.as_view(results_only=True), name=f"{name}_results"),
    ]


app_name = "hr_reports"
urlpatterns = [
    *_report(DepartmentSummaryView, "department_summary", "departments/"),
    *_report(StaffReportView, "staff", "staff/"),
    *_report(HeatmapView, "heatmap", "clauses/"),
    *_report(ItemAnalysisView, "items", "questions/"),
    *_report(PersonnelSearchView, "personnel_search", "personnel/"),
    path("personnel/<int:pk>/", PersonnelRecordView.as_view(), name="personnel"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
]
