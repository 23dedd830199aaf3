"""What every page under /admin/hr-reports/ shares (as Wagtail's own reports share
`wagtail.admin.views.reports.ReportView`): the municipality the viewer may read, resolved before
anything else (PermissionDenied for anyone without the reports permission; Wagtail's admin turns
that into a redirect), the filter choices offered from that municipality only (a forged id is a
404), the audit entry of each page shown and each download, the download buttons (XLSX, CSV in
UTF-8, CSV in Shift_JIS) and the breadcrumbs.

- `ReportMixin` on `ReportView` (`ListReportView` when the rows are computed, not narrowed): the
  reports with a table and downloads;
- `ReportPageView`: a report drawn by its own template (dashboard, personnel record);
- `AdminPageView`: a plain page of the area that is not a report (verification, certificate ZIPs),
  scoped alike but logging only what it reads itself.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from sns_training import db_router

from .. import certificates, exports, selectors, services
from ..queries import common


def int_or_none(value) -> int | None:
    """A choice filter's value ("2") as a number (the choices were validated already)."""
    return int(value) if value not in (None, "") else None


def percent(value) -> str:
    return "—" if value is None else f"{value:g}%"


def pdf_response(record) -> HttpResponse:
    """One certificate as a private PDF download."""
    response = HttpResponse(certificates.certificate_pdf(record), content_type="application/pdf")
    name = certificates.certificate_filename(record)
    response["Content-Disposition"] = exports.content_disposition(name, f"certificate-{record.pk}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


class MunicipalityMixin:
    """Resolves `self.municipality`, the one the viewer may read, before anything else."""

    def resolve_municipality(self, request):
        return selectors.report_municipality(user=request.user, requested=request.GET.get("municipality"))

    def dispatch(self, request, *args, **kwargs):
        self.municipality = self.resolve_municipality(request)
        return super().dispatch(request, *args, **kwargs)


class ReportMixin(MunicipalityMixin):
    """A report: filters scoped to the municipality, the audit entry of each view (`reports.viewed`)
    and of each download (`reports.exported`, before the first byte), and the download buttons.
    A report provides `export_rows()` and, when the file name carries a 年度, `export_fiscal_year()`.
    A download never goes through Wagtail's `as_spreadsheet`, whose listing context would load
    every row (`len(object_list)`)."""

    report_slug = ""
    report_name = gettext_lazy("レポート")
    # Filters whose value names another object: a value not offered to the viewer answers 404.
    scoped_filters = ("cycle", "department", "guideline")
    export_columns: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        """A GET or HEAD reads the report's data from the replica when one is configured
        (decision 0036): the page is rendered and a streamed download produced inside the block.
        Anything else (and the user, session and audit) stays on the primary."""
        if request.method not in ("GET", "HEAD"):
            return super().dispatch(request, *args, **kwargs)
        with db_router.replica_reads():
            response = super().dispatch(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
                response.render()
        if response.streaming and not isinstance(response, FileResponse):
            response.streaming_content = db_router.iterate_on_replica(response.streaming_content)
        return response

    # --- Data the filters and the report share (one query each) ---

    @cached_property
    def today(self) -> datetime.date:
        return timezone.localdate()

    @cached_property
    def cycles(self):
        return common.cycles_of(municipality=self.municipality)

    @cached_property
    def departments(self) -> common.DepartmentIndex:
        return common.department_index(municipality=self.municipality)

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
        return common.current_cycle(self.cycles, self.today)

    @cached_property
    def as_of(self) -> datetime.date:
        return self.cleaned.get("as_of") or self.today

    @cached_property
    def wareki(self) -> bool:
        return bool(self.cleaned.get("wareki"))

    def filter_summary(self) -> dict:
        """The filters as written to the audit log (JSON)."""
        return {}

    def row_count(self, context) -> int:
        return context.get("items_count", 0)

    # --- Views and audit ---

    def get(self, request, *args, **kwargs):
        self.cleaned  # noqa: B018 - a forged scoped filter answers 404 before anything is read
        if getattr(self, "is_export", False):
            return self.export(request.GET.get("export"), request.GET.get("encoding") or exports.Encoding.UTF8)
        response = super().get(request, *args, **kwargs)
        services.audit_report_viewed(
            user=request.user,
            municipality=self.municipality,
            report=self.report_slug,
            filters=self.filter_summary(),
            row_count=self.row_count(response.context_data),
        )
        return response

    def get_breadcrumbs_items(self):
        return [{"url": "", "label": self.get_page_title()}]

    def personnel_url(self, staff_id: int) -> str:
        """A person's 人事記録 (a platform admin keeps the municipality they picked)."""
        target = reverse("hr_reports:personnel", args=[staff_id])
        if self.request.user.is_superuser:
            target += "?" + urlencode({"municipality": self.municipality.slug})
        return target

    # --- Downloads ---

    def export_rows(self) -> tuple[int, object]:
        """(row count, rows) of the download."""
        raise NotImplementedError

    def export_fiscal_year(self) -> int | None:
        return self.cycle.fiscal_year if getattr(self, "cycle", None) else None

    def export(self, fmt: str, encoding: str):
        if self.filters and not self.filters.is_valid():
            # Never "everything" for a filter that did not parse.
            return HttpResponseBadRequest(
                _("絞り込みの条件が正しくありません。"), content_type="text/plain; charset=utf-8"
            )
        fmt = exports.Format(fmt)
        encoding = exports.Encoding.parse(encoding)
        count, rows = self.export_rows()
        services.audit_export(
            user=self.request.user,
            municipality=self.municipality,
            report=self.report_slug,
            fmt=fmt.value,
            encoding=encoding.value if fmt == exports.Format.CSV else "",
            filters={**self.filter_summary(), "wareki": self.wareki},
            row_count=count,
        )
        filename = exports.ExportFilename.build(
            municipality=self.municipality,
            report=self.report_name,  # build() renders it in Japanese whatever the admin's language
            report_slug=self.report_slug,
            fiscal_year=self.export_fiscal_year(),
        )
        return exports.export_response(
            fmt=fmt, rows=rows, columns=self.export_columns, filename=filename, encoding=encoding, wareki=self.wareki
        )

    def get_export_url(self, fmt: str, **extra) -> str:
        """The page's own URL with its filters, without the page number and the filter-fragment flag."""
        params = self.request.GET.copy()
        for name in ("p", "_w_filter_fragment"):
            params.pop(name, None)
        params["export"] = fmt
        for key, value in extra.items():
            params[key] = value  # replaces a value already in the query (QueryDict.update would add one)
        return self.request.path.replace("/results/", "/") + "?" + params.urlencode()

    def export_links(self) -> list[tuple[str, str]]:
        """The three downloads of this table with its filters, shown as a labelled button group
        beside it (templates/reports/admin/_exports.html), not hidden in the header's menu."""
        if not self.export_columns:
            return []
        return [
            (_("XLSXでダウンロード"), self.get_export_url("xlsx")),
            (
                _("CSVでダウンロード（UTF-8）"),
                self.get_export_url("csv", encoding=exports.Encoding.UTF8.value),
            ),
            (
                _("CSVでダウンロード（Shift_JIS）"),
                self.get_export_url("csv", encoding=exports.Encoding.CP932.value),
            ),
        ]

    def get_header_more_buttons(self):
        return []


class ListReportView(ReportMixin, ReportView):
    """A report whose rows are computed (a rollup, a matrix) rather than a queryset to narrow: the
    filter set only parses, ordering is applied by the query module."""

    paginate_by = None

    def filter_queryset(self, queryset):
        return queryset

    def order_queryset(self, queryset):
        return queryset


class ReportPageView(ReportMixin, WagtailAdminTemplateMixin, TemplateView):
    """A report drawn by its own template rather than Wagtail's table."""

    filters = None
    is_export = False


class AdminPageView(MunicipalityMixin, WagtailAdminTemplateMixin, TemplateView):
    """A plain admin page of the reports area (no filters, no downloads, no breadcrumbs)."""

    def get_breadcrumbs_items(self):
        return []
