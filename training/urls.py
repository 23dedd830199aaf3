from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.department, name="department"),
    path("cycles/<int:cycle_id>/staff/<int:staff_id>/remind/", views.remind, name="remind"),
]
