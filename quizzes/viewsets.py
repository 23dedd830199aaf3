"""Wagtail admin for scenario questions (registered in quizzes/wagtail_hooks.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import LiveStatusTagColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from courses.models import ChapterPage, GuidelinePage
from sns_training.admin_scoping import scoped_urlpatterns

from .models import ScenarioQuestion


class ScenarioQuestionForm(WagtailAdminModelForm):
    """Only the editor's own guidelines to choose from; the clause must exist in the guideline;
    3–5 choices with one correct (or, for "all that apply", some but not all correct)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "guideline" in self.fields and self.for_user is not None:
            self.fields["guideline"].queryset = GuidelinePage.objects.visible_to(self.for_user)

    def clean(self):
        cleaned = super().clean()
        guideline = cleaned.get("guideline")
        if guideline is not None:
            keys = {k for c in ChapterPage.objects.child_of(guideline) for k in c.clause_keys()}
            for field in ("clause_key", "also_cites"):
                key = cleaned.get(field)
                if key and key not in keys:
                    self.add_error(field, _("このガイドラインに条項キー「%(key)s」はありません。") % {"key": key})
        formset = self.formsets.get("choices")
        if formset is not None and formset.is_valid():
            kept = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            correct = sum(bool(c.get("is_correct")) for c in kept)
            if not 3 <= len(kept) <= 5:
                raise ValidationError(_("選択肢は3〜5個にしてください。"))
            kind = cleaned.get("kind")
            if kind == ScenarioQuestion.Kind.SINGLE and correct != 1:
                raise ValidationError(_("正解はちょうど1つにしてください。"))
            if kind == ScenarioQuestion.Kind.MULTIPLE and not 2 <= correct < len(kept):
                raise ValidationError(_("「すべて選ぶ」設問には正解を2つ以上、誤りを1つ以上含めてください。"))
        return cleaned


class ScenarioQuestionViewSet(SnippetViewSet):
    model = ScenarioQuestion
    icon = "help"
    menu_label = _("設問")
    add_to_admin_menu = True
    menu_order = 210
    # The status as Wagtail's badge (公開 / 下書き / モデレーション中), not the raw boolean "True".
    list_display = ["prompt", "clause_key", "guideline", "kind", LiveStatusTagColumn(label=_("公開状態"))]
    list_filter = ["guideline", "clause_key", "live"]
    search_fields = ["prompt", "situation", "external_id"]
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler_panels = [
        FieldPanel("guideline"),
        MultiFieldPanel(
            [FieldPanel("clause_key"), FieldPanel("also_cites"), FieldPanel("external_id")], heading=_("条項")
        ),
        FieldPanel("kind"),
        FieldPanel("situation"),
        FieldPanel("prompt"),
        InlinePanel("choices", min_num=3, max_num=5, label=_("選択肢")),
        FieldPanel("explanation"),
    ]

    def get_edit_handler(self):
        return ObjectList(self.edit_handler_panels, base_form_class=ScenarioQuestionForm).bind_to_model(self.model)

    def get_queryset(self, request):
        return ScenarioQuestion.objects.visible_to(request.user).select_related("guideline")

    def get_urlpatterns(self):
        """Every view of one question (edit, delete, history, usage, revisions, workflow…) answers
        404 for a question outside the user's municipality, before Wagtail's view runs."""
        return scoped_urlpatterns(super().get_urlpatterns(), ScenarioQuestion.objects.visible_to)
