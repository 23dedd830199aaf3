"""自治体の追加 in the Wagtail admin: the platform admin's form for sns_training.services.
municipality_onboard, wired as the municipality viewset's add view (people/viewsets.py). Answers
with the first HR person's letter (a PDF) when one was issued: the code exists only in it."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from identity.letters import letters_pdf

from . import services
from .forms import MunicipalityOnboardForm


class MunicipalityOnboardView(WagtailAdminTemplateMixin, FormView):
    template_name = "sns_training/admin/municipality_onboard.html"
    form_class = MunicipalityOnboardForm
    page_title = gettext_lazy("自治体の追加")
    header_icon = "site"
    viewset = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:  # the platform admin alone (no POLICIES entry either)
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": "/admin/municipalities/", "label": _("自治体")},
            {"url": "", "label": self.page_title},
        ]

    def form_valid(self, form):
        data = form.cleaned_data
        fixture, source = data["guideline_file"] or (None, "")
        try:
            done = services.municipality_onboard(
                code=data["code"],
                name=data["name"],
                slug=data["slug"],
                actor=self.request.user,
                guideline_data=fixture,
                guideline_source=source or "fixture",
                guideline_title=data["guideline_title"],
                guideline_issuer=data["guideline_issuer"],
                password_allowed=data["password_allowed"],
                no_mailbox_contact=data["no_mailbox_contact"],
                hr=services.FirstHR(
                    staff_number=data["hr_staff_number"],
                    name=data["hr_name"],
                    kana=data["hr_kana"],
                    email=data["hr_email"] or "",
                    department_code=data["hr_department_code"],
                    department_name=data["hr_department_name"],
                ),
                request=self.request,
            )
        except services.OnboardingError as exc:
            for error in exc.errors:
                form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "%(name)s を追加しました：ガイドライン「%(guideline)s」、編集者・承認者のグループと承認フロー、"
                "ログイン設定、人事担当 %(hr)s（%(number)s）。"
            )
            % {
                "name": done.municipality.name,
                "guideline": done.guideline.title,
                "hr": done.hr.name,
                "number": done.hr.staff_number,
            },
        )
        if done.letter is None:
            return redirect("municipalities:index")
        response = HttpResponse(letters_pdf([done.letter]), content_type="application/pdf")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="setup-letter-{done.municipality.code}-{stamp}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
