"""Admin views of the courses app: what a chapter's draft changes, for the editor before submitting
and the approver before approving (issue 14)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from . import versions
from .models import ChapterPage


class ChapterChangesView(WagtailAdminTemplateMixin, TemplateView):
    """The 新旧対照表 of a chapter: its latest draft (改正後) against the live text (改正前)."""

    template_name = "courses/admin/chapter_changes.html"
    page_title = _("新旧対照表（公開中の本文との比較）")
    header_icon = "doc-full"

    def dispatch(self, request, page_id: int):
        page = get_object_or_404(Page, pk=page_id).specific
        if not isinstance(page, ChapterPage):
            raise Http404
        permissions = page.permissions_for_user(request.user)
        if not (permissions.can_edit() or permissions.can_publish()):
            raise Http404
        self.page = page
        return super().dispatch(request, page_id)

    def get_page_subtitle(self):
        return self.page.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        live = ChapterPage.objects.get(pk=self.page.pk)
        draft = self.page.get_latest_revision_as_object()
        before = versions.Text(versions.chapter_clauses(live) if live.live else [])
        after_clauses = versions.chapter_clauses(draft)
        after = versions.Text(
            after_clauses,
            versions.classify(before.clauses, after_clauses, set(draft.substantive_changes or [])),
        )
        context.update(
            {
                "page": self.page,
                "chapters": versions.compare(before, after),
                "has_draft": self.page.has_unpublished_changes,
            }
        )
        return context
