from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.department, name="department"),
    path("cycles/<int:cycle_id>/staff/<int:staff_id>/remind/", views.remind, name="remind"),
    path("cycles/<int:cycle_id>/remind-all/", views.remind_all, name="remind_all"),
    path("without-email/", views.without_email, name="without_email"),
]
