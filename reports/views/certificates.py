"""Certificates in the reports area: one certificate as PDF (HR's, and a person's own from the site),
and HR's 修了証の一括ダウンロード (decision 0014): the request form, the bundle's progress page (with
its JSON status for the page's script), a new build of a stalled bundle and the download of the
finished ZIP. The ZIP itself is built by reports.tasks in the background (reports/services.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from people.models import Department
from quizzes import selectors as quiz_selectors

from .. import exports, selectors, services
from ..forms import CertificateZipForm
from ..models import CertificateBundle
from .base import AdminPageView, pdf_response


@login_required
def my_certificate_pdf(request, pk: int):
    """The signed-in person's own certificate as PDF; anyone else's id answers 404."""
    record = quiz_selectors.record_for_user(user=request.user, pk=pk)
    response = pdf_response(record)
    services.audit_certificate_downloaded(user=request.user, record=record)
    return response


def certificate_pdf(request, pk: int):
    """HR downloads one certificate of their municipality; another municipality's id is 404."""
    record = selectors.record_for_reports(user=request.user, pk=pk)
    response = pdf_response(record)
    services.audit_certificate_downloaded(user=request.user, record=record)
    return response


def bundle_url(bundle: CertificateBundle) -> str:
    return reverse("reports_admin:certificate_bundle", args=[bundle.pk])


class CertificateZipView(AdminPageView):
    """HR asks for every certificate of a department (and, by default, the departments below it)
    for one 年度 as a ZIP (POST); the ZIP is built in the background and the request is answered
    with the bundle's page. GET shows the form and the municipality's latest requests only.
    Matching is on the 所属コード each record snapshot at completion."""

    page_title = gettext_lazy("修了証の一括ダウンロード")
    header_icon = "download"
    template_name = "reports/certificates_zip.html"

    def form(self, data=None) -> CertificateZipForm:
        return CertificateZipForm(data, departments=selectors.department_choices(municipality=self.municipality))

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            department = (
                None
                if data["department"] == CertificateZipForm.ALL
                else get_object_or_404(
                    Department.objects.filter(municipality=self.municipality), code=data["department"]
                )
            )
            try:
                bundle = services.certificate_bundle_request(
                    user=request.user,
                    department=department,
                    municipality=self.municipality,
                    fiscal_year=data["fiscal_year"],
                    include_subdepartments=data["subdepartments"],
                )
            except services.ReportsError as error:
                form.add_error(None, str(error))
            else:
                return redirect(bundle_url(bundle))
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["bundles"] = selectors.bundles_recent(municipality=self.municipality)
        context["bundle_max"] = selectors.bundle_max()
        return context


class CertificateBundleView(AdminPageView):
    """One requested ZIP: its state and progress (a small script polls `certificate_bundle_status`
    while the ZIP is being made; without it, a link reloads the page), once done the download,
    and once stalled a button that builds it again. Another municipality's bundle is 404."""

    page_title = gettext_lazy("修了証のZIP")
    header_icon = "download"
    template_name = "reports/certificate_bundle.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bundle = selectors.bundle_for_user(user=self.request.user, pk=self.kwargs["pk"])
        context["bundle"] = bundle
        context["status"] = selectors.bundle_status(bundle)
        context["poll_seconds"] = POLL_SECONDS
        return context


POLL_SECONDS = 3  # the page's script asks no more often than this


@require_GET
def certificate_bundle_status(request, pk: int):
    """The bundle's state as JSON for the page's script, scoped as the page is (the reports
    permission, then the viewer's municipality: another's bundle is 404). Reads only."""
    selectors.report_municipality(user=request.user)
    bundle = selectors.bundle_for_user(user=request.user, pk=pk)
    status = selectors.bundle_status(bundle)
    if status["state"] == "done":
        status["download_url"] = reverse("reports_admin:certificate_bundle_download", args=[bundle.pk])
    response = JsonResponse(status)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def certificate_bundle_requeue(request, pk: int):
    """「もう一度作成する」 on a stalled bundle: builds it again (CSRF-protected POST), back to its page."""
    selectors.report_municipality(user=request.user)
    bundle = selectors.bundle_for_user(user=request.user, pk=pk)
    try:
        bundle = services.certificate_bundle_requeue(user=request.user, bundle=bundle)
    except services.ReportsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("修了証のZIPをもう一度作成するよう依頼しました。"))
    return redirect(bundle_url(bundle))


def certificate_bundle_download(request, pk: int):
    """The finished ZIP, streamed from file storage; the download is logged with every record in it."""
    selectors.report_municipality(user=request.user)  # anyone without the reports permission: refused
    bundle = selectors.bundle_for_user(user=request.user, pk=pk)
    if bundle.status != CertificateBundle.Status.DONE or not bundle.file:
        raise Http404
    handle = bundle.file.open("rb")
    try:
        services.audit_certificates_zip_downloaded(
            user=request.user,
            municipality=bundle.municipality,
            filters=selectors.bundle_filters(bundle),
            record_ids=list(selectors.bundle_records(bundle).values_list("pk", flat=True)),
        )
    except BaseException:
        handle.close()
        raise
    name = exports.ExportFilename.build(
        municipality=bundle.municipality,
        report=format_lazy("{}_{}", gettext_lazy("修了証"), bundle.department_code or gettext_lazy("全所属")),
        report_slug=f"certificates-{bundle.department_code or 'all'}",
        fiscal_year=bundle.fiscal_year,
    ).with_suffix("zip")
    response = FileResponse(handle, content_type="application/zip")
    response["Content-Disposition"] = exports.content_disposition(name.name, name.ascii_name)
    response["Cache-Control"] = "private, no-store"
    return response
