from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("disclosure/", views.my_disclosure, name="my_disclosure"),
]
