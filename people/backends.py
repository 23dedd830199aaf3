"""The one authentication backend: allauth's, loading the staff profile with the user and
granting the permissions of the person's role (people/roles.py)."""

from allauth.account.auth_backends import AuthenticationBackend
from django.core.exceptions import ObjectDoesNotExist

from .models import User
from .roles import role_permissions


class StaffAuthenticationBackend(AuthenticationBackend):
    def get_user(self, user_id):
        # One query for the user, their staff record, department and municipality on
        # every request, instead of one each.
        try:
            user = User._default_manager.select_related("staff_profile__department", "staff_profile__municipality").get(
                pk=user_id
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        permissions = super().get_all_permissions(user_obj, obj)
        if obj is not None:
            return permissions
        try:
            return permissions | role_permissions(user_obj)
        except ObjectDoesNotExist:
            return permissions
