"""FilterSet of HR's access log (identity/views.py)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from people.models import Municipality

from .models import AccessEvent


class AccessEventFilterSet(WagtailFilterSet):
    kind = django_filters.MultipleChoiceFilter(
        label=_("種類"), choices=AccessEvent.Kind.choices, widget=forms.CheckboxSelectMultiple
    )
    method = django_filters.ChoiceFilter(
        label=_("方法"), choices=[c for c in AccessEvent.Method.choices if c[0]], empty_label=_("すべての方法")
    )
    created_at = django_filters.DateFromToRangeFilter(label=_("期間"), widget=DateRangePickerWidget)
    person = django_filters.CharFilter(
        label=_("職員（職員番号・氏名・ログイン名）"), method="filter_person", max_length=150
    )
    # Platform admins only (removed for everyone else).
    municipality = django_filters.ModelChoiceFilter(
        label=_("自治体"), queryset=Municipality.objects.order_by("code"), empty_label=_("すべての自治体")
    )

    class Meta:
        model = AccessEvent
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is None or not request.user.is_superuser:
            del self.filters["municipality"]

    def filter_person(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = Q(username__icontains=value)
        for who in ("actor", "subject"):
            match |= Q(**{f"{who}__username__icontains": value})
            match |= Q(**{f"{who}__staff_profile__staff_number": value})
            match |= Q(**{f"{who}__staff_profile__name__icontains": value})
        return queryset.filter(match)
