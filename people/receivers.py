"""Signal receivers of the people app (connected in PeopleConfig.ready)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def remember_admin_access(sender, request, user, **kwargs):
    # Decided once per session so ordinary pages need not load permissions to draw the
    # header's admin link; the admin itself still checks permissions on every request.
    if request is not None and hasattr(request, "session"):
        request.session["can_access_admin"] = user.has_perm("wagtailadmin.access_admin")
