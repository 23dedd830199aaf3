"""HR reports in the Wagtail admin and certificate downloads (registered in wagtail_hooks.py and
urls.py). Views only parse, scope through selectors, log through services and answer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from quizzes import selectors as quiz_selectors

from . import certificates, exports, selectors, services
from .admin_exports import ExportMixin
from .filters import CompletionRecordFilterSet
from .forms import VerificationForm


def _pdf_response(record) -> HttpResponse:
    response = HttpResponse(certificates.certificate_pdf(record), content_type="application/pdf")
    name = certificates.certificate_filename(record)
    response["Content-Disposition"] = exports.content_disposition(name, f"certificate-{record.pk}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


# --- The person's own certificate (site) ---------------------------------------------------------


@login_required
def my_certificate_pdf(request, pk: int):
    """The signed-in person's own certificate as PDF; anyone else's id answers 404."""
    record = quiz_selectors.record_for_user(user=request.user, pk=pk)
    response = _pdf_response(record)
    services.certificate_download_log(user=request.user, record=record)
    return response


# --- HR (Wagtail admin) --------------------------------------------------------------------------


class MunicipalityScopedMixin:
    """Resolves the municipality the viewer may read before anything else (PermissionDenied for
    anyone without the reports permission; Wagtail's admin turns that into a redirect)."""

    def dispatch(self, request, *args, **kwargs):
        self.municipality = selectors.report_municipality(user=request.user, requested=request.GET.get("municipality"))
        return super().dispatch(request, *args, **kwargs)


class CompletionRecordReportView(MunicipalityScopedMixin, ExportMixin, ReportView):
    """HR's list of the municipality's completion records, with CSV/XLSX downloads through the
    export engine. A pattern for every HR report: an export never goes through Wagtail's
    `as_spreadsheet`, whose listing context would load every row (`len(object_list)`)."""

    page_title = gettext_lazy("修了記録")
    header_icon = "doc-full"
    index_url_name = "reports_admin:completion_records"
    index_results_url_name = "reports_admin:completion_records_results"
    filterset_class = CompletionRecordFilterSet
    report_slug = "completion-records"
    report_name = page_title
    export_columns = selectors.COMPLETION_COLUMNS
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
    # The download buttons and the downloads come from ExportMixin; Wagtail's own exporter is never used.
    list_export = ["staff_number"]

    def get_queryset(self):
        return selectors.completion_records(municipality=self.municipality)

    @cached_property
    def fiscal_year(self) -> int | None:
        if self.filters and self.filters.is_valid():
            value = self.filters.form.cleaned_data.get("fiscal_year")
            return int(value) if value else None
        return None

    @cached_property
    def wareki(self) -> bool:
        return bool(self.filters and self.filters.is_valid() and self.filters.form.cleaned_data.get("wareki"))

    def filter_summary(self) -> dict:
        return {"fiscal_year": self.fiscal_year}

    def get(self, request, *args, **kwargs):
        if self.is_export:
            return self.export(request.GET.get("export"), request.GET.get("encoding", ""))
        response = super().get(request, *args, **kwargs)
        services.report_view_log(
            user=request.user,
            municipality=self.municipality,
            report=self.report_slug,
            filters=self.filter_summary(),
            row_count=response.context_data["items_count"],
        )
        return response

    def export_rows(self):
        records = selectors.completion_records(municipality=self.municipality, fiscal_year=self.fiscal_year)
        return selectors.completion_export(records)

    def export_fiscal_year(self) -> int | None:
        return self.fiscal_year


class HRPageView(MunicipalityScopedMixin, WagtailAdminTemplateMixin, TemplateView):
    """A plain admin page of the reports area."""

    def get_breadcrumbs_items(self):
        return []


class VerifyView(HRPageView):
    """HR types a certificate's verification code and sees the record if it is one of theirs;
    an unknown code and another municipality's code get the same answer."""

    page_title = gettext_lazy("修了証の確認")
    header_icon = "search"
    template_name = "reports/verify.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = VerificationForm(self.request.GET if "code" in self.request.GET else None)
        context["form"] = form
        if form.is_bound and form.is_valid():
            record = selectors.record_by_code(municipality=self.municipality, code=form.cleaned_data["code"])
            context["searched"] = True
            context["record"] = record
            services.report_view_log(
                user=self.request.user,
                municipality=self.municipality,
                report="verification",
                filters={"code": selectors.normalise_code(form.cleaned_data["code"])},
                row_count=1 if record else 0,
            )
        return context


def certificate_pdf(request, pk: int):
    """HR downloads one certificate of their municipality; another municipality's id is 404."""
    record = selectors.record_for_reports(user=request.user, pk=pk)
    response = _pdf_response(record)
    services.certificate_download_log(user=request.user, record=record)
    return response
