from django.urls import path

from . import views

app_name = "quizzes"

urlpatterns = [
    path("chapter/<int:chapter_id>/start/", views.quiz_start, name="start"),
    path("attempt/<int:pk>/", views.attempt, name="attempt"),
    path("attest/<int:guideline_id>/", views.attest, name="attest"),
    path("certificate/<int:pk>/", views.certificate, name="certificate"),
    path("revisions/<int:review_id>/", views.revision_review, name="revision_review"),
]
