"""HR reports in the Wagtail admin and certificate downloads (registered in wagtail_hooks.py and
urls.py). Views only parse, scope through selectors, log through services and answer."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets.button import Button

from quizzes import selectors as quiz_selectors

from . import certificates, exports, selectors, services
from .filters import CompletionRecordFilterSet
from .forms import CertificateZipForm, VerificationForm

ZIP_MAX_DEFAULT = 100  # about 0.1–0.17 s of CPU a PDF: 100 stay well inside a worker's 30 s


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


class CompletionRecordReportView(MunicipalityScopedMixin, ReportView):
    """HR's list of the municipality's completion records, with CSV/XLSX downloads through the
    export engine. A pattern for every HR report: an export never goes through Wagtail's
    `as_spreadsheet`, whose listing context would load every row (`len(object_list)`)."""

    page_title = gettext_lazy("修了記録")
    header_icon = "doc-full"
    index_url_name = "reports_admin:completion_records"
    index_results_url_name = "reports_admin:completion_records_results"
    filterset_class = CompletionRecordFilterSet
    report_slug = "completion-records"
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
    # Wagtail's SpreadsheetExportMixin is what shows the export buttons; list_export only turns it on.
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

    def export(self, fmt: str, encoding: str):
        if self.filters and not self.filters.is_valid():
            # Never "everything" for a filter that did not parse.
            return HttpResponseBadRequest(
                _("絞り込みの条件が正しくありません。"), content_type="text/plain; charset=utf-8"
            )
        fmt = exports.Format(fmt)
        encoding = exports.Encoding.parse(encoding)
        records = selectors.completion_records(municipality=self.municipality, fiscal_year=self.fiscal_year)
        count, rows = selectors.completion_export(records)
        services.export_log(
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
            report=gettext_lazy("修了記録"),
            report_slug=self.report_slug,
            fiscal_year=self.fiscal_year,
        )
        return exports.export_response(
            fmt=fmt,
            rows=rows,
            columns=selectors.COMPLETION_COLUMNS,
            filename=filename,
            encoding=encoding,
            wareki=self.wareki,
        )

    def get_export_url(self, format, **extra):
        params = self.request.GET.copy()
        params.pop("p", None)
        params["export"] = format
        for key, value in extra.items():
            params[key] = value
        return self.request.path.replace("/results/", "/") + "?" + params.urlencode()

    @cached_property
    def header_more_buttons(self):
        return [
            Button(_("XLSXでダウンロード"), url=self.get_export_url("xlsx"), icon_name="download", priority=90),
            Button(
                _("CSVでダウンロード（UTF-8）"),
                url=self.get_export_url("csv", encoding=exports.Encoding.UTF8.value),
                icon_name="download",
                priority=100,
            ),
            Button(
                _("CSVでダウンロード（Shift_JIS）"),
                url=self.get_export_url("csv", encoding=exports.Encoding.CP932.value),
                icon_name="download",
                priority=110,
            ),
        ]


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


def _zip_max() -> int:
    return getattr(settings, "REPORTS_CERTIFICATE_ZIP_MAX", ZIP_MAX_DEFAULT)


class CertificateZipView(HRPageView):
    """HR downloads every certificate of a department (and, by default, the departments below it)
    for one 年度 as a ZIP. Matching is on the 所属コード each record snapshot at completion."""

    page_title = gettext_lazy("修了証の一括ダウンロード")
    header_icon = "download"
    template_name = "reports/certificates_zip.html"

    def get(self, request, *args, **kwargs):
        departments = selectors.department_choices(municipality=self.municipality)
        bound = "department" in request.GET
        form = CertificateZipForm(request.GET if bound else None, departments=departments)
        if bound and form.is_valid():
            data = form.cleaned_data
            codes = selectors.department_codes(
                municipality=self.municipality, code=data["department"], with_subdepartments=data["subdepartments"]
            )
            records = selectors.department_records(
                municipality=self.municipality, fiscal_year=data["fiscal_year"], codes=codes
            )
            ids = list(records.values_list("pk", flat=True)[: _zip_max() + 1])
            if not ids:
                form.add_error(None, _("該当する修了記録はありません。"))
            elif len(ids) > _zip_max():
                form.add_error(
                    None,
                    _(
                        "該当する修了記録が%(max)d件を超えています。一度にダウンロードできるのは%(max)d件までです。"
                        "「下位の所属を含める」を外すなどして、所属ごとにダウンロードしてください。"
                    )
                    % {"max": _zip_max()},
                )
            else:
                return self.zip_response(data, records.filter(pk__in=ids), ids)
        return self.render_to_response(self.get_context_data(form=form, zip_max=_zip_max()))

    def zip_response(self, data, records, ids):
        filters = {
            "department_code": data["department"],
            "subdepartments": data["subdepartments"],
            "fiscal_year": data["fiscal_year"],
        }
        archive = certificates.certificates_zip(records.iterator(chunk_size=200))
        try:
            services.certificates_zip_log(
                user=self.request.user, municipality=self.municipality, filters=filters, record_ids=ids
            )
        except BaseException:
            archive.close()
            raise
        name = exports.ExportFilename.build(
            municipality=self.municipality,
            report=format_lazy("{}_{}", gettext_lazy("修了証"), data["department"]),
            report_slug=f"certificates-{data['department']}",
            fiscal_year=data["fiscal_year"],
        ).with_suffix("zip")
        response = FileResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = exports.content_disposition(name.name, name.ascii_name)
        response["Cache-Control"] = "private, no-store"
        return response


def certificate_pdf(request, pk: int):
    """HR downloads one certificate of their municipality; another municipality's id is 404."""
    record = selectors.record_for_reports(user=request.user, pk=pk)
    response = _pdf_response(record)
    services.certificate_download_log(user=request.user, record=record)
    return response
