"""Scoping a Wagtail viewset's per-object URLs to what the user may see: shared by every viewset
whose objects belong to one municipality (training cycles, scenario questions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404
from django.urls import URLPattern, URLResolver


def scoped_urlpatterns(
    patterns: Iterable[URLPattern | URLResolver], visible_queryset: Callable[..., QuerySet]
) -> list[URLPattern | URLResolver]:
    """The patterns with every view of one object (a `pk` in its URL: edit, delete, history,
    usage, revisions…) answering 404 for an object outside `visible_queryset(user)`, before
    Wagtail's view runs."""
    return [_scoped(pattern, visible_queryset) for pattern in patterns]


def _scoped(pattern, visible_queryset):
    if not isinstance(pattern, URLPattern) or "pk" not in getattr(pattern.pattern, "converters", {}):
        return pattern
    view = pattern.callback

    def scoped_view(request, *args, **kwargs):
        pk = unquote(str(kwargs["pk"]))
        if not visible_queryset(request.user).filter(pk=pk).exists():
            raise Http404
        return view(request, *args, **kwargs)

    return URLPattern(pattern.pattern, scoped_view, pattern.default_args, pattern.name)
