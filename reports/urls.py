"""Site URLs of the reports app (mounted at /reports/)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("certificates/<int:pk>.pdf", views.my_certificate_pdf, name="my_certificate_pdf"),
]
