"""Reads for the course pages and my page; every one goes through the viewer's scope."""

from __future__ import annotations

from django.db.models import QuerySet
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from .models import ChapterPage, GuidelinePage


def guidelines_for_user(*, user) -> list[GuidelinePage]:
    return list(GuidelinePage.objects.visible_to(user).live().select_related("municipality").order_by("path"))


def chapters_for_guidelines(*, guidelines: list[GuidelinePage]) -> dict[int, list[ChapterPage]]:
    """Live chapters of each guideline, in one query, keyed by guideline id."""
    by_path = {g.path: g.pk for g in guidelines}
    result: dict[int, list[ChapterPage]] = {g.pk: [] for g in guidelines}
    if not guidelines:
        return result
    steplen = ChapterPage.steplen
    queryset = ChapterPage.objects.none()
    for guideline in guidelines:
        queryset = queryset | ChapterPage.objects.child_of(guideline)
    for chapter in (
        queryset.live().order_by("path").only("title", "number", "part", "audience", "binds", "url_path", "path")
    ):
        result[by_path[chapter.path[:-steplen]]].append(chapter)
    return result


def admin_pages_for(*, user, pages: QuerySet[Page]) -> QuerySet[Page]:
    """The pages an admin user may see in Wagtail's page chooser: those Wagtail lets them explore
    (their guideline, its chapters, its ancestors), never another municipality's."""
    explorable = PagePermissionPolicy().explorable_instances(user)
    return pages.filter(pk__in=explorable.values("pk"))
