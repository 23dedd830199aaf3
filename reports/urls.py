"""Site URLs of the reports app (mounted at /reports/)."""

from django.urls import path

from .views import certificates

app_name = "reports"

urlpatterns = [
    path("certificates/<int:pk>.pdf", certificates.my_certificate_pdf, name="my_certificate_pdf"),
]
