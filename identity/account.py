"""Account e-mail and name are not self-service (issue 12, decision 0027).

Addresses come from HR's roster (people.services / the roster import, stored verified) or the IdP;
names from the staff record (User.first_name is written from StaffMember.name by the same
writes). So allauth's e-mail management page only says so and takes no POST, Wagtail's account
page has no name/e-mail panel, and a password reset mails only a verified address of the account.
Wired in sns_training/urls.py (the two views, ahead of allauth's and Wagtail's URLs) and
settings ACCOUNT_FORMS["reset_password"]."""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView
from wagtail.admin.views.account import AccountView


class RosterEmailView(LoginRequiredMixin, TemplateView):
    """/accounts/email/ (allauth's `account_email`): the address on record and whom to ask to
    change it. GET only: a POST (add, remove, make primary, re-send) answers 405 and changes nothing."""

    template_name = "account/email_roster.html"
    http_method_names = ["get", "head", "options"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["addresses"] = EmailAddress.objects.filter(user=self.request.user).order_by("-primary", "email")
        context["staff"] = getattr(self.request.user, "staff_profile", None)
        return context


class StaffAccountView(AccountView):
    """Wagtail's account page (`wagtailadmin_account`) without the name and e-mail panel: both come
    from the roster. A POST carrying first_name, last_name or email has no form to land in."""

    hidden_panels = frozenset({"name_email"})

    def get_panels(self):
        return [panel for panel in super().get_panels() if panel.name not in self.hidden_panels]


class RosterResetPasswordForm(ResetPasswordForm):
    """allauth's password-reset form, mailing only accounts for which the address is a verified
    one (from the roster or the IdP); an unverified address gets the same answer and no mail."""

    def clean_email(self):
        email = super().clean_email()
        verified = set(
            EmailAddress.objects.filter(
                user__in=[u.pk for u in self.users], email__iexact=email, verified=True
            ).values_list("user_id", flat=True)
        )
        self.users = [user for user in self.users if user.pk in verified]
        return email
