"""The one authentication backend: allauth's, loading the staff profile with the user."""

from allauth.account.auth_backends import AuthenticationBackend

from .models import User


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
