"""The permission policy for scenario questions in the Wagtail admin: Django permissions as
usual (editors add and change, approvers also publish), and never outside the user's municipality.
Registered in quizzes/wagtail_hooks.py."""

from wagtail.permission_policies import ModelPermissionPolicy

from .models import ScenarioQuestion


class QuestionPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission_for_instance(self, user, action, instance):
        return super().user_has_permission_for_instance(user, action, instance) and (
            ScenarioQuestion.objects.visible_to(user).filter(pk=instance.pk).exists()
        )

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        return super().instances_user_has_permission_for(user, action) & ScenarioQuestion.objects.visible_to(user)

    def instances_user_has_any_permission_for(self, user, actions):
        return super().instances_user_has_any_permission_for(user, actions) & ScenarioQuestion.objects.visible_to(user)
