"""設問分析: per question, the share correct and how often each choice was chosen."""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

from courses.models import GuidelinePage
from quizzes.models import ScenarioQuestion
from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_label, fiscal_year_of

from .. import selectors
from ..filters import (
    ItemAnalysisFilterSet,
)
from ..queries import items as queries
from .base import ListReportView, int_or_none


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
        year = int_or_none(self.cleaned.get("fiscal_year"))
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
        year = int_or_none(self.cleaned.get("fiscal_year"))
        return fiscal_year_label(year) if year else ""

    def export_fiscal_year(self):
        return int_or_none(self.cleaned.get("fiscal_year"))

    def filter_summary(self):
        return {
            "guideline": self.guideline.pk if self.guideline else None,
            "fiscal_year": int_or_none(self.cleaned.get("fiscal_year")),
        }

    def export_rows(self):
        rows = queries.item_export_rows(self.stats)
        return len(rows), rows
