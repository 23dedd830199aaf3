"""受講状況ダッシュボード: the current cycle charted (reports/charts.py), on its own page and, for the
current cycle, on the admin home (HRDashboardPanel, registered in reports/wagtail_hooks.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.components import Component

from training import selectors as training_selectors

from ..charts import BarChart, LineChart, bar_chart, line_chart
from ..queries import common
from ..queries.dashboard import completions_by_day
from ..queries.department_summary import Counts, department_summary
from .base import ReportPageView


@dataclass
class Dashboard:
    cycle: object
    as_of: datetime.date
    total: Counts
    bars: BarChart
    line: LineChart


def build(*, cycle, as_of: datetime.date, departments: common.DepartmentIndex) -> Dashboard:
    """Both charts of one cycle as of a day: two grouped queries (plus the department index)."""
    summary = department_summary(cycle=cycle, as_of=as_of, departments=departments, max_depth=1)
    per_day = completions_by_day(cycle=cycle, as_of=as_of)
    return Dashboard(
        cycle=cycle,
        as_of=as_of,
        total=summary.total,
        bars=bar_chart(summary),
        line=line_chart(cycle=cycle, as_of=as_of, per_day=per_day, total=summary.total.total),
    )


class DashboardView(ReportPageView):
    """The HR dashboard: completion by department (bars) and over the cycle (line), each with the
    same figures in a table for screen readers."""

    template_name = "reports/admin/dashboard.html"
    page_title = gettext_lazy("受講状況ダッシュボード")
    header_icon = "doc-full-inverse"
    report_slug = "dashboard"

    @cached_property
    def cycle(self):
        wanted = self.request.GET.get("cycle")
        if wanted:
            for cycle in self.cycles:
                if str(cycle.pk) == wanted:
                    return cycle
            raise Http404
        return common.current_cycle(self.cycles, self.today)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cycles"] = self.cycles
        context["cycle"] = self.cycle
        context["dashboard"] = (
            build(cycle=self.cycle, as_of=self.today, departments=self.departments) if self.cycle else None
        )
        context["items_count"] = len(context["dashboard"].bars.rows) if context["dashboard"] else 0
        # People overdue with no 所属長 above them: HR follows them up (decision 0032).
        context["without_head"] = (
            training_selectors.overdue_without_head(cycle=self.cycle, on=self.today) if self.cycle else []
        )
        context["municipality"] = self.municipality
        context["is_superuser"] = self.request.user.is_superuser
        return context

    def filter_summary(self):
        return {"cycle": self.cycle.pk if self.cycle else None}

    def get_header_buttons(self):
        return []


class HRDashboardPanel(Component):
    """The current cycle's charts on the admin home, for whoever holds the reports permission."""

    name = "hr_dashboard"
    order = 50
    template_name = "reports/admin/dashboard_panel.html"

    def __init__(self, *, municipality, cycle, as_of: datetime.date, departments):
        self.municipality = municipality
        self.cycle = cycle
        self.as_of = as_of
        self.departments = departments

    def get_context_data(self, parent_context):
        return {
            "cycle": self.cycle,
            "dashboard": build(cycle=self.cycle, as_of=self.as_of, departments=self.departments)
            if self.cycle
            else None,
            "municipality": self.municipality,
        }
