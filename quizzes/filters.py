"""Filters of the question list in the admin: the guideline choices are the user's own
municipality's, never the other's titles (Wagtail's default list filter offers every row)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from courses.models import GuidelinePage

from .models import ScenarioQuestion


def _guidelines(request):
    if request is None:
        return GuidelinePage.objects.none()
    return GuidelinePage.objects.visible_to(request.user)


class ScenarioQuestionFilterSet(WagtailFilterSet):
    guideline = django_filters.ModelChoiceFilter(label=_("ガイドライン"), queryset=_guidelines)
    clause_key = django_filters.CharFilter(label=_("条項キー"))
    audience = django_filters.ChoiceFilter(label=_("対象者"), choices=ScenarioQuestion.Audience.choices)
    difficulty = django_filters.ChoiceFilter(label=_("難易度"), choices=ScenarioQuestion.Difficulty.choices)
    live = django_filters.BooleanFilter(label=_("公開中"))

    class Meta:
        model = ScenarioQuestion
        fields = ["guideline", "clause_key", "audience", "difficulty", "live"]
