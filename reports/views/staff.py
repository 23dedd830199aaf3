"""職員別の受講状況: one row per person and cycle, as things stood on the 基準日."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets.button import Button

from people.models import StaffMember
from sns_training.dates import datetime_display
from sns_training.fiscal_year import fiscal_year_label

from ..filters import (
    StaffReportFilterSet,
)
from ..queries import common
from ..queries import staff as queries
from .base import ReportMixin, int_or_none, percent


class StaffReportView(ReportMixin, ReportView):
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
                accessor=lambda row: datetime_display(row.completed_at) or "—",
            ),
            Column("score", label=gettext_lazy("得点"), accessor=lambda row: percent(row.score)),
            Column("attempts", label=gettext_lazy("受験回数")),
            Column("version", label=gettext_lazy("誓約した版"), accessor=lambda row: row.version or "—"),
            Column("review", label=gettext_lazy("改正点の確認"), accessor=lambda row: row.review or "—"),
        ]

    def get_header_more_buttons(self):
        """The downloads, and for one chosen cycle HR's 期限延長・免除 screen (decision 0030)."""
        buttons = list(super().get_header_more_buttons())
        if self.cycle is not None and self.request.user.has_perm("training.change_trainingcycle"):
            url = reverse("training-exceptions:cycle", args=[self.cycle.pk])
            buttons.append(Button(gettext_lazy("期限延長・免除"), url=url, icon_name="date", priority=10))
        return buttons

    def filter_choices(self):
        years = sorted({c.fiscal_year for c in self.cycles}, reverse=True)
        return {
            "cycle": self.cycle_choices(),
            "fiscal_year": [(year, fiscal_year_label(year)) for year in years],
            "department": self.departments.choices(),
            "employment_type": list(StaffMember.EmploymentType.choices),
            "status": list(common.Status.choices),
            "version": self.version_choices(),
        }

    def version_choices(self):
        """The versions (第N版) of the guidelines of the municipality's cycles."""
        from courses.models import GuidelineVersion

        guidelines = {c.guideline_id for c in self.cycles}
        return [
            (v.pk, f"{v.guideline.title} {v.label}")
            for v in GuidelineVersion.objects.filter(guideline_id__in=guidelines)
            .select_related("guideline")
            .order_by("guideline_id", "number")
        ]

    def get_valid_orderings(self):
        return [f"{sign}{key}" for key in queries.STAFF_ORDERINGS for sign in ("", "-")]

    @cached_property
    def chosen_cycles(self) -> list:
        wanted = {str(pk) for pk in self.cleaned.get("cycle") or ()}
        if wanted:
            return [c for c in self.cycles if str(c.pk) in wanted]
        year = int_or_none(self.cleaned.get("fiscal_year"))
        if year:
            return [c for c in self.cycles if c.fiscal_year == year]
        current = common.current_cycle(self.cycles, self.today)
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
            # The subtree as it stood on the report's day (a department moved since counts where it was).
            department_ids=tuple(
                self.departments.as_of(common.names_day(self.cycle, self.as_of)).subtree_ids(int(department))
            )
            if department
            else None,
            employment_types=tuple(data.get("employment_type") or ()),
            statuses=tuple(data.get("status") or ()),
            completed_from=completed.start.date() if completed and completed.start else None,
            completed_to=completed.stop.date() if completed and completed.stop else None,
            version_id=int_or_none(data.get("version")),
        )

    @cached_property
    def row_maker(self) -> queries.StaffRowMaker:
        return queries.StaffRowMaker(
            cycles=self.cycles, departments=self.departments.as_of(common.names_day(self.cycle, self.as_of))
        )

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
            "fiscal_year": int_or_none(self.cleaned.get("fiscal_year")),
            "as_of": s.as_of.isoformat(),
            "department": department.code if department else None,
            "employment_types": list(s.employment_types),
            "statuses": list(s.statuses),
            "completed_from": s.completed_from.isoformat() if s.completed_from else None,
            "completed_to": s.completed_to.isoformat() if s.completed_to else None,
            "version": s.version_id,
            "ordering": self.ordering,
        }

    def export_rows(self):
        return queries.staff_export(self.assignments(), self.row_maker)
