from django.urls import path

from . import setup_views as views

app_name = "first_access"

urlpatterns = [
    path("setup/", views.setup, name="setup"),
]
