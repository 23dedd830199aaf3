"""Admin URLs of the HR reports (registered under /admin/hr-reports/ by wagtail_hooks.py; Wagtail
wraps each in its admin-access check)."""

from django.urls import path

from . import views

app_name = "reports_admin"

urlpatterns = [
    path("completion-records/", views.CompletionRecordReportView.as_view(), name="completion_records"),
    path(
        "completion-records/results/",
        views.CompletionRecordReportView.as_view(results_only=True),
        name="completion_records_results",
    ),
    path("completion-records/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/", views.CertificateZipView.as_view(), name="certificates_zip"),
    path("verify/", views.VerifyView.as_view(), name="verify"),
]
