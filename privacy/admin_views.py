"""「個人情報の管理」in the Wagtail admin (decision 0040): HR of a municipality (and the platform
admin) find a person, export their 本人開示 ZIP on a written request, erase a retired person
after a confirmation screen, and edit the retention periods. Registered in wagtail_hooks.py;
every URL has an entry in sns_training/admin_access.py POLICIES, and every view also goes
through privacy/selectors.py (404 outside the viewer's municipality)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from . import selectors, services
from .forms import DisclosureForm, ErasureForm, RetentionPolicyForm
from .models import Erasure, RetentionPolicy


class PrivacyPermissionMixin:
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not selectors.may_manage(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def index_crumb(self):
        return {"url": reverse("personal_data:index"), "label": _("個人情報の管理")}


class PrivacyIndexView(PrivacyPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "privacy/admin/index.html"
    page_title = _("個人情報の管理")
    limit = 50

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[:50]
        staff = selectors.staff_for_privacy(user=self.request.user)
        if query:
            context["results"] = list(
                (staff.filter(staff_number__startswith=query) | staff.filter(name__contains=query))[: self.limit]
            )
        context["query"] = query
        context["municipalities"] = selectors.municipalities_for_retention(user=self.request.user)
        return context


class _StaffMixin(PrivacyPermissionMixin, WagtailAdminTemplateMixin):
    def dispatch(self, request, *args, **kwargs):
        if selectors.may_manage(request.user):
            self.member = selectors.staff_for_privacy_get(user=request.user, pk=kwargs["staff_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return f"{self.member.name}（{self.member.staff_number}）"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        context["erasure"] = Erasure.objects.filter(staff=self.member).first()
        return context


class StaffDisclosureView(_StaffMixin, FormView):
    """One person: the disclosure form (POST downloads the ZIP) and the way to erasure."""

    template_name = "privacy/admin/staff.html"
    form_class = DisclosureForm
    page_title = _("本人開示")

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, self.index_crumb(), {"url": "", "label": self.get_page_subtitle()}]

    def form_valid(self, form):
        try:
            content, filename = services.disclosure_export(
                user=self.request.user, staff=self.member, reason=form.cleaned_data["reason"]
            )
        except services.PrivacyError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class StaffEraseView(_StaffMixin, FormView):
    """The confirmation screen (GET: what goes, what stays) and the erasure itself (POST)."""

    template_name = "privacy/admin/erase.html"
    form_class = ErasureForm
    page_title = _("個人情報の消去")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            self.index_crumb(),
            {"url": reverse("personal_data:staff", args=[self.member.pk]), "label": self.get_page_subtitle()},
            {"url": "", "label": self.page_title},
        ]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "staff": self.member}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["preview"] = services.erasure_preview(self.member)
        return context

    def form_valid(self, form):
        try:
            services.staff_erase(user=self.request.user, staff=self.member, request=self.request)
        except services.PrivacyError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _gettext("職員番号 %(number)s の個人情報を消去しました。修了記録は保存期間のあいだ残ります。")
            % {"number": self.member.staff_number},
        )
        return redirect("personal_data:staff", staff_id=self.member.pk)


class RetentionPolicyView(PrivacyPermissionMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "privacy/admin/retention.html"
    form_class = RetentionPolicyForm
    page_title = _("保存期間")

    def dispatch(self, request, *args, **kwargs):
        if selectors.may_manage(request.user):
            self.municipality = get_object_or_404(
                selectors.municipalities_for_retention(user=request.user), pk=kwargs["municipality_id"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.municipality)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, self.index_crumb(), {"url": "", "label": self.page_title}]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": RetentionPolicy.for_municipality(self.municipality)}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "municipality": self.municipality}

    def form_valid(self, form):
        try:
            services.retention_policy_update(
                user=self.request.user, municipality=self.municipality, **form.cleaned_data
            )
        except services.PrivacyError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _gettext("保存期間を変更しました。"))
        return redirect("personal_data:retention", municipality_id=self.municipality.pk)


class PrivacyMenuItem(MenuItem):
    def is_shown(self, request):
        return selectors.may_manage(request.user)


class PrivacyViewSet(ViewSet):
    name = "personal_data"
    url_prefix = "personal-data"
    icon = "user"
    menu_label = _("個人情報の管理")
    add_to_admin_menu = True
    menu_order = 820
    menu_item_class = PrivacyMenuItem

    def get_urlpatterns(self):
        return [
            path("", PrivacyIndexView.as_view(), name="index"),
            path("staff/<int:staff_id>/", StaffDisclosureView.as_view(), name="staff"),
            path("staff/<int:staff_id>/erase/", StaffEraseView.as_view(), name="erase"),
            path("retention/<int:municipality_id>/", RetentionPolicyView.as_view(), name="retention"),
        ]


@hooks.register("register_admin_viewset")
def register_privacy_viewset():
    return PrivacyViewSet()
