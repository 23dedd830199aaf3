"""The rules in the CMS: editors of a municipality change its rules (on/off, cited clause,
message, word lists, working hours) as drafts; an approver of the same municipality publishes
them through the rules' workflow (selfcheck.models.SelfCheckApprovalTask)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import SelfCheckRule


class RulePermissionPolicy(ModelPermissionPolicy):
    def user_has_permission_for_instance(self, user, action, instance):
        return super().user_has_permission_for_instance(user, action, instance) and (
            SelfCheckRule.objects.visible_to(user).filter(pk=instance.pk).exists()
        )

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        return super().instances_user_has_permission_for(user, action) & SelfCheckRule.objects.visible_to(user)

    def instances_user_has_any_permission_for(self, user, actions):
        return super().instances_user_has_any_permission_for(user, actions) & SelfCheckRule.objects.visible_to(user)


class SelfCheckRuleViewSet(SnippetViewSet):
    model = SelfCheckRule
    icon = "tasks"
    menu_label = _("セルフチェックのルール")
    add_to_admin_menu = True
    menu_order = 220
    list_display = ["__str__", "enabled", "clause_key", Column("municipality", label=_("自治体"))]
    list_filter = ["account_type", "code", "enabled"]
    copy_view_enabled = False
    inspect_view_enabled = False
    panels = [
        FieldPanel("code", read_only=True),
        FieldPanel("account_type", read_only=True),
        FieldPanel("enabled"),
        FieldPanel("clause_key"),
        FieldPanel("message", widget=forms.Textarea(attrs={"rows": 3})),
        FieldPanel("words", widget=forms.Textarea(attrs={"rows": 8})),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("work_start"), FieldPanel("work_end")]),
                FieldRowPanel([FieldPanel("break_start"), FieldPanel("break_end")]),
            ],
            heading=_("勤務時間と休憩（勤務時間中の投稿のルールだけが使います）"),
        ),
    ]

    def get_queryset(self, request):
        return SelfCheckRule.objects.visible_to(request.user).select_related("municipality")
