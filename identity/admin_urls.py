"""URLs under /admin/access-log/ (registered by identity/wagtail_hooks.py; POLICIES in
sns_training/admin_access.py names each)."""

from django.urls import path

from .views import AccessEventDetailView, AccessLogView

app_name = "access_log"

urlpatterns = [
    path("", AccessLogView.as_view(), name="index"),
    path("results/", AccessLogView.as_view(results_only=True), name="index_results"),
    path("<int:pk>/", AccessEventDetailView.as_view(), name="detail"),
]
