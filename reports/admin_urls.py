"""Admin URLs of the HR reports (registered under /admin/hr-reports/ by wagtail_hooks.py; Wagtail
wraps each in its admin-access check)."""

from django.urls import path

from . import bundle_views, views

app_name = "reports_admin"

urlpatterns = [
    path("completion-records/", views.CompletionRecordReportView.as_view(), name="completion_records"),
    path(
        "completion-records/results/",
        views.CompletionRecordReportView.as_view(results_only=True),
        name="completion_records_results",
    ),
    path("completion-records/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/", bundle_views.CertificateZipView.as_view(), name="certificates_zip"),
    path("certificates/bundles/<int:pk>/", bundle_views.CertificateBundleView.as_view(), name="certificate_bundle"),
    path(
        "certificates/bundles/<int:pk>/status/",
        bundle_views.certificate_bundle_status,
        name="certificate_bundle_status",
    ),
    path(
        "certificates/bundles/<int:pk>/requeue/",
        bundle_views.certificate_bundle_requeue,
        name="certificate_bundle_requeue",
    ),
    path(
        "certificates/bundles/<int:pk>/download/",
        bundle_views.certificate_bundle_download,
        name="certificate_bundle_download",
    ),
    path("verify/", views.VerifyView.as_view(), name="verify"),
]
