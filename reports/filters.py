"""FilterSets of the HR reports (Wagtail's ReportView filters)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import AdminDateInput

from people.models import Municipality
from quizzes.models import CompletionRecord
from training.models import Assignment

from .forms import fiscal_year_choices


def _municipality_choices():
    return [(m.slug, m.name) for m in Municipality.objects.order_by("code")]


class CompletionRecordFilterSet(WagtailFilterSet):
    fiscal_year = django_filters.ChoiceFilter(
        label=_("年度"), choices=fiscal_year_choices, empty_label=_("すべての年度")
    )
    # Not a filter: asks the downloads for a 和暦 column beside each date.
    wareki = django_filters.BooleanFilter(label=_("ダウンロードに和暦の列を付ける"), method="keep_all")
    # Platform admins only (removed for everyone else): which municipality to read.
    municipality = django_filters.ChoiceFilter(
        label=_("自治体"), choices=_municipality_choices, method="keep_all", empty_label=None
    )

    class Meta:
        model = CompletionRecord
        fields = ["fiscal_year"]

    def __init__(self, *args, request=None, report=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is None or not request.user.is_superuser:
            del self.filters["municipality"]

    def keep_all(self, queryset, name, value):
        return queryset


# --- HR reports of issue 5 (reports/views/; decision 0015) ----------------------------------------
# These filter sets parse and validate; the views read `form.cleaned_data` and pass it to
# reports/queries/, because the reports aggregate (a department rollup, a heat-map) rather than
# narrow one queryset. Choices come from the view (`report=`): only the viewer's municipality's
# cycles, departments and guidelines are offered, so a forged id fails validation (the view then
# answers 404).


class _ReportFilterSet(WagtailFilterSet):
    class Meta:
        model = Assignment  # only for django-filter's default queryset; every filter is declared
        fields = []

    def __init__(self, *args, request=None, report=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.report = report
        if request is None or not request.user.is_superuser:
            self.filters.pop("municipality", None)
        if report is not None:
            for name, choices in report.filter_choices().items():
                if name in self.filters:
                    self.filters[name].extra["choices"] = choices

    def keep_all(self, queryset, name, value):
        return queryset


def _as_of_filter():
    return django_filters.DateFilter(
        label=_("基準日"),
        method="keep_all",
        widget=AdminDateInput,
        help_text=_("この日の時点の状況と所属で集計します（空欄は今日）。"),
    )


def _municipality_filter():
    return django_filters.ChoiceFilter(
        label=_("自治体"), choices=_municipality_choices, method="keep_all", empty_label=None
    )


DEPTH_CHOICES = [(1, _("部まで")), (2, _("課まで")), (3, _("係まで"))]


class DepartmentSummaryFilterSet(_ReportFilterSet):
    cycle = django_filters.ChoiceFilter(label=_("研修サイクル"), method="keep_all", empty_label=_("現在の研修サイクル"))
    as_of = _as_of_filter()
    depth = django_filters.ChoiceFilter(
        label=_("表示する階層"), choices=DEPTH_CHOICES, method="keep_all", empty_label=_("すべての階層")
    )
    municipality = _municipality_filter()


class StaffReportFilterSet(_ReportFilterSet):
    cycle = django_filters.MultipleChoiceFilter(
        label=_("研修サイクル"), method="keep_all", widget=forms.CheckboxSelectMultiple
    )
    fiscal_year = django_filters.ChoiceFilter(label=_("年度"), method="keep_all", empty_label=_("指定しない"))
    department = django_filters.ChoiceFilter(
        label=_("所属（下位の所属を含む）"), method="keep_all", empty_label=_("すべての所属")
    )
    employment_type = django_filters.MultipleChoiceFilter(
        label=_("任用形態"), method="keep_all", widget=forms.CheckboxSelectMultiple
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("状況"), method="keep_all", widget=forms.CheckboxSelectMultiple
    )
    completed = django_filters.DateFromToRangeFilter(label=_("修了日"), method="keep_all", widget=DateRangePickerWidget)
    version = django_filters.ChoiceFilter(label=_("誓約した版"), method="keep_all", empty_label=_("指定しない"))
    as_of = _as_of_filter()
    wareki = django_filters.BooleanFilter(label=_("ダウンロードに和暦の列を付ける"), method="keep_all")
    municipality = _municipality_filter()


class HeatmapFilterSet(_ReportFilterSet):
    cycle = django_filters.ChoiceFilter(label=_("研修サイクル"), method="keep_all", empty_label=_("現在の研修サイクル"))
    depth = django_filters.ChoiceFilter(
        label=_("所属の階層"), choices=DEPTH_CHOICES, method="keep_all", empty_label=_("部まで（既定）")
    )
    as_of = _as_of_filter()
    municipality = _municipality_filter()


class ItemAnalysisFilterSet(_ReportFilterSet):
    guideline = django_filters.ChoiceFilter(label=_("ガイドライン"), method="keep_all", empty_label=None)
    fiscal_year = django_filters.ChoiceFilter(
        label=_("年度（回答した年度）"), method="keep_all", empty_label=_("すべての年度")
    )
    municipality = _municipality_filter()


class PersonnelSearchFilterSet(_ReportFilterSet):
    is_active = django_filters.BooleanFilter(label=_("在職"))
    municipality = _municipality_filter()
