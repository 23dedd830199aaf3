"""Wagtail admin for scenario questions (registered in quizzes/wagtail_hooks.py)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from courses.models import ChapterPage, GuidelinePage

from .filters import ScenarioQuestionFilterSet
from .models import PLATFORMS, ScenarioQuestion


class ScenarioQuestionForm(WagtailAdminModelForm):
    """Only the editor's own guidelines to choose from; the clause must exist in the guideline;
    3–5 choices with one correct (or, for "all that apply", some but not all correct). The list
    fields are edited as words, not JSON: further clauses comma-separated, platforms as boxes."""

    also_cites = forms.CharField(
        label=_("あわせて参照する条項キー"),
        required=False,
        help_text=_("同じガイドラインの条項キーを読点またはカンマで区切って入力します（例：8-6、9-4）。"),
    )
    platforms = forms.MultipleChoiceField(
        label=_("プラットフォーム"),
        required=False,
        choices=[(p, p) for p in PLATFORMS],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "guideline" in self.fields and self.for_user is not None:
            self.fields["guideline"].queryset = GuidelinePage.objects.visible_to(self.for_user)
        if isinstance(self.initial.get("also_cites"), list):
            self.initial["also_cites"] = ", ".join(self.initial["also_cites"])

    def clean_also_cites(self) -> list[str]:
        raw = self.cleaned_data.get("also_cites") or ""
        keys = [k.strip() for k in raw.replace("、", ",").split(",") if k.strip()]
        return list(dict.fromkeys(keys))

    def clean(self):
        cleaned = super().clean()
        guideline = cleaned.get("guideline")
        if guideline is not None:
            keys = {k for c in ChapterPage.objects.child_of(guideline) for k in c.clause_keys()}
            key = cleaned.get("clause_key")
            if key and key not in keys:
                self.add_error("clause_key", _("このガイドラインに条項キー「%(key)s」はありません。") % {"key": key})
            for cited in cleaned.get("also_cites") or []:
                if cited not in keys:
                    self.add_error(
                        "also_cites", _("このガイドラインに条項キー「%(key)s」はありません。") % {"key": cited}
                    )
        first, last = cleaned.get("first_year"), cleaned.get("last_year")
        if first is not None and last is not None and first > last:
            self.add_error("last_year", _("出題終了年度は出題開始年度以降にしてください。"))
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


class _ScopedQuestionList:
    """The question chooser lists the user's municipality's questions, and only to those who may
    see questions at all (Wagtail's chooser lists every row of the model otherwise)."""

    def get_object_list(self):
        user = self.request.user
        if not user.has_perm("quizzes.view_scenarioquestion"):
            return ScenarioQuestion.objects.none()
        return ScenarioQuestion.objects.visible_to(user)


class ScenarioQuestionChooseView(_ScopedQuestionList, ChooseView):
    pass


class ScenarioQuestionChooseResultsView(_ScopedQuestionList, ChooseResultsView):
    pass


class ScenarioQuestionChooserViewSet(SnippetChooserViewSet):
    choose_view_class = ScenarioQuestionChooseView
    choose_results_view_class = ScenarioQuestionChooseResultsView


class ItemStatisticsPanel(Panel):
    """The question's item statistics on its edit screen (quizzes.selectors.question_statistics):
    answers, share right, each choice's count, unchosen wrong choices, the discrimination index."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "quizzes/admin/item_statistics_panel.html"

        def get_context_data(self, parent_context=None):
            from .selectors import question_statistics

            context = super().get_context_data(parent_context)
            context["stat"] = question_statistics(question=self.instance) if self.instance.pk else None
            return context


class ScenarioQuestionIndexView(IndexView):
    """The question list: each row names its clause by number and heading and flags questions whose
    prompt another of the guideline's questions repeats (quizzes.selectors.question_list_annotate)."""

    def get_context_data(self, *args, **kwargs):
        from .selectors import question_list_annotate

        context = super().get_context_data(*args, **kwargs)
        # The table renders these same instances afterwards.
        question_list_annotate(questions=context["object_list"], user=self.request.user)
        return context


class DuplicateColumn(Column):
    """「重複の可能性：ID…」 where another question of the guideline asks the same."""

    cell_template_name = "quizzes/admin/duplicate_cell.html"

    def get_value(self, instance):
        return getattr(instance, "duplicates", [])


class ScenarioQuestionViewSet(SnippetViewSet):
    model = ScenarioQuestion
    icon = "help"
    menu_label = _("設問")
    add_to_admin_menu = True
    menu_order = 210
    # The status as Wagtail's badge (公開 / 下書き / モデレーション中), not the raw boolean "True".
    index_view_class = ScenarioQuestionIndexView
    list_display = [
        "prompt",
        Column("clause_label", label=_("条項"), accessor="clause_label"),
        DuplicateColumn("duplicates", label=_("同じ問いの設問")),
        "guideline",
        "kind",
        "audience",
        "difficulty",
        LiveStatusTagColumn(label=_("公開状態")),
    ]
    filterset_class = ScenarioQuestionFilterSet
    search_fields = ["prompt", "situation", "external_id"]
    copy_view_enabled = False
    inspect_view_enabled = False
    chooser_viewset_class = ScenarioQuestionChooserViewSet
    edit_handler_panels = [
        FieldPanel("guideline"),
        MultiFieldPanel(
            [
                FieldPanel("clause_key"),
                FieldPanel("also_cites"),
                FieldPanel("external_id"),
                FieldPanel("covers_revision"),
            ],
            heading=_("条項"),
        ),
        FieldPanel("kind"),
        FieldPanel("situation"),
        FieldPanel("prompt", widget=forms.Textarea(attrs={"rows": 3})),
        InlinePanel("choices", min_num=3, max_num=5, label=_("選択肢")),
        FieldPanel("explanation"),
        MultiFieldPanel(
            [
                FieldPanel("audience"),
                FieldPanel("difficulty"),
                FieldPanel("platforms"),
                FieldPanel("scene"),
                FieldPanel("employment_type"),
                FieldPanel("first_year"),
                FieldPanel("last_year"),
            ],
            heading=_("出題の条件と分類"),
        ),
        ItemStatisticsPanel(heading=_("設問の統計（採点済みの回答から）")),
    ]

    def get_edit_handler(self):
        return ObjectList(self.edit_handler_panels, base_form_class=ScenarioQuestionForm).bind_to_model(self.model)

    def get_queryset(self, request):
        return ScenarioQuestion.objects.visible_to(request.user).select_related("guideline")
