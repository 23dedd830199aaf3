from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("", views.mypage, name="mypage"),
    path("guidelines/<int:pk>/versions/", views.guideline_versions, name="guideline_versions"),
    path("guidelines/<int:pk>/versions/<int:old>/<int:new>/", views.guideline_comparison, name="guideline_comparison"),
    path(
        "guidelines/<int:pk>/versions/<int:old>/<int:new>/pdf/",
        views.guideline_comparison_pdf,
        name="guideline_comparison_pdf",
    ),
]
