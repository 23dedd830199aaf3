"""Edit-screen panels of the chapter page (wired in courses.models.ChapterPage.content_panels)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from . import signals


class ClauseCitationsPanel(Panel):
    """Which live questions cite each clause of the chapter, shown to the editor and read by
    courses/admin/clause_removal.js, which asks before a clause is removed and names them."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "courses/admin/clause_citations_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            chapter = self.instance
            clauses = list(chapter.clauses()) if chapter.pk else []
            cited: dict[str, list[str]] = {}
            if clauses:
                guideline_id = chapter.get_parent().pk
                keys = {clause["key"] for clause in clauses}
                for _receiver, response in signals.clause_citations.send(
                    sender=type(chapter), guideline_id=guideline_id, keys=keys
                ):
                    for key, items in (response or {}).items():
                        cited.setdefault(key, []).extend(items)
            context["rows"] = [
                {
                    "label": " ".join(p for p in (clause["number"], clause["heading"]) if p),
                    "questions": cited[clause["key"]],
                }
                for clause in clauses
                if clause["key"] in cited
            ]
            context["citations"] = cited
            return context


def clause_citations_panel():
    return ClauseCitationsPanel(heading=_("条項を引用している設問"))
