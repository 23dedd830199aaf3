"""Every URL under /admin/hr-reports/ (registered by wagtail_hooks.py; Wagtail wraps each in its
admin-access check, and sns_training/admin_access.py POLICIES names each). Two namespaces, kept
from when the area had two view stacks: `reports_admin` (completion records, certificates,
verification) and `hr_reports` (the reports of decision 0015)."""

from django.urls import include, path

from .views import (
    certificates,
    completion_records,
    dashboard,
    department_summary,
    heatmap,
    items,
    personnel,
    staff,
    verify,
)


def _report(view, name: str, route: str):
    """The page and its results-only twin (what Wagtail's filters refresh)."""
    return [
        path(route, view.as_view(), name=name),
        path(f"{route}results/", view.as_view(results_only=True), name=f"{name}_results"),
    ]


reports_admin_urlpatterns = [
    *_report(completion_records.CompletionRecordReportView, "completion_records", "completion-records/"),
    path("completion-records/<int:pk>/certificate.pdf", certificates.certificate_pdf, name="certificate_pdf"),
    path("certificates/", certificates.CertificateZipView.as_view(), name="certificates_zip"),
    path("certificates/bundles/<int:pk>/", certificates.CertificateBundleView.as_view(), name="certificate_bundle"),
    path(
        "certificates/bundles/<int:pk>/status/",
        certificates.certificate_bundle_status,
        name="certificate_bundle_status",
    ),
    path(
        "certificates/bundles/<int:pk>/requeue/",
        certificates.certificate_bundle_requeue,
        name="certificate_bundle_requeue",
    ),
    path(
        "certificates/bundles/<int:pk>/download/",
        certificates.certificate_bundle_download,
        name="certificate_bundle_download",
    ),
    path("verify/", verify.VerifyView.as_view(), name="verify"),
]

hr_reports_urlpatterns = [
    *_report(department_summary.DepartmentSummaryView, "department_summary", "departments/"),
    *_report(staff.StaffReportView, "staff", "staff/"),
    *_report(heatmap.HeatmapView, "heatmap", "clauses/"),
    *_report(items.ItemAnalysisView, "items", "questions/"),
    *_report(personnel.PersonnelSearchView, "personnel_search", "personnel/"),
    path("personnel/<int:pk>/", personnel.PersonnelRecordView.as_view(), name="personnel"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
]

urlpatterns = [
    path("", include((reports_admin_urlpatterns, "reports_admin"), namespace="reports_admin")),
    path("", include((hr_reports_urlpatterns, "hr_reports"), namespace="hr_reports")),
]
