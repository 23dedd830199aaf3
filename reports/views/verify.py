"""修了証の確認: HR checks a certificate's verification code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from .. import selectors, services
from ..forms import VerificationForm
from .base import AdminPageView


class VerifyView(AdminPageView):
    """HR types a certificate's verification code and sees the record if it is one of theirs;
    an unknown code and another municipality's code get the same answer."""

    page_title = gettext_lazy("修了証の確認")
    header_icon = "search"
    template_name = "reports/verify.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = VerificationForm(self.request.GET if "code" in self.request.GET else None)
        context["form"] = form
        if form.is_bound and form.is_valid():
            record = selectors.record_by_code(municipality=self.municipality, code=form.cleaned_data["code"])
            context["searched"] = True
            context["record"] = record
            services.audit_report_viewed(
                user=self.request.user,
                municipality=self.municipality,
                report="verification",
                filters={"code": selectors.normalise_code(form.cleaned_data["code"])},
                row_count=1 if record else 0,
            )
        return context
