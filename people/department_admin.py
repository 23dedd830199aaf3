"""「所属の履歴」in the Wagtail admin (decisions 0039, 0045): HR renames, moves under another parent,
merges and abolishes a department from a day, and corrects when a person's department-history row starts (着任日). Each view admits
users with people.import_roster (HR, the platform admin) and reads every object through
`visible_to`, so another municipality's department or person answers 404. Writes go through
people/departments.py; registered in people/wagtail_hooks.py, allowed in sns_training/admin_access.py."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from . import services
from .models import Department, DepartmentMembership, StaffMember
from .services import PeopleError


class RenameForm(forms.Form):
    name = forms.CharField(label=_("新しい名称"), max_length=100)
    on = forms.DateField(label=_("適用日"), widget=forms.DateInput(attrs={"type": "date"}))


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("統合先"), empty_label=None)
    on = forms.DateField(label=_("適用日"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, department, departments, **kwargs):
        super().__init__(*args, prefix="merge", **kwargs)
        self.fields["into"].queryset = departments.filter(retired_on__isnull=True).exclude(
            path__startswith=department.path
        )


class MoveForm(forms.Form):
    """上位所属の変更: a live department not below this one, or none (最上位)."""

    parent = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=_("新しい上位所属"), required=False, empty_label=_("（最上位）")
    )
    on = forms.DateField(label=_("適用日"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, department, departments, **kwargs):
        super().__init__(*args, prefix="move", **kwargs)
        self.fields["parent"].queryset = (
            departments.filter(retired_on__isnull=True, municipality_id=department.municipality_id)
            .exclude(path__startswith=department.path)
            .order_by("path")
        )


class RetireForm(forms.Form):
    on = forms.DateField(label=_("廃止日"), widget=forms.DateInput(attrs={"type": "date"}))


class StartForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    valid_from = forms.DateField(label=_("正しい開始日"), widget=forms.DateInput(attrs={"type": "date"}))


class _HRMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("people.import_roster"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def departments(self):
        return Department.objects.visible_to(self.request.user)


class DepartmentListView(_HRMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "people/admin/department_list.html"
    page_title = _("所属の履歴")
    header_icon = "folder-open-inverse"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["departments"] = self.departments.select_related("merged_into", "municipality").order_by(
            "municipality__code", "path"
        )
        return context


class DepartmentDetailView(_HRMixin, WagtailAdminTemplateMixin, TemplateView):
    """A department's names by date and its people's count, with rename / merge / abolish forms
    (POST, CSRF; a refusal is shown as the service words it and writes nothing)."""

    template_name = "people/admin/department_detail.html"
    header_icon = "folder-open-inverse"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.forms = {}

    def get_page_title(self):
        return f"{self.department.name}（{self.department.code}）"

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm("people.import_roster"):
            self.department = get_object_or_404(self.departments, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("department-history:index"), "label": _("所属の履歴")},
            {"url": "", "label": self.get_page_title()},
        ]

    def _forms(self, data=None, action=None):
        return {
            "rename": RenameForm(data if action == "rename" else None, prefix="rename"),
            "move": MoveForm(
                data if action == "move" else None, department=self.department, departments=self.departments
            ),
            "merge": MergeForm(
                data if action == "merge" else None, department=self.department, departments=self.departments
            ),
            "retire": RetireForm(data if action == "retire" else None, prefix="retire"),
        }

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        self.forms = self._forms(request.POST, action)
        form = self.forms.get(action)
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data, user = form.cleaned_data, request.user
            try:
                if action == "rename":
                    services.department_rename(department=self.department, name=data["name"], on=data["on"], user=user)
                    messages.success(request, _("名称の変更を記録しました。"))
                elif action == "move":
                    services.department_move(
                        department=self.department, parent=data["parent"], on=data["on"], user=user
                    )
                    messages.success(request, _("上位所属の変更を記録しました。"))
                elif action == "merge":
                    services.department_merge(department=self.department, into=data["into"], on=data["on"], user=user)
                    messages.success(request, _("統合を記録しました。"))
                else:
                    services.department_retire(department=self.department, on=data["on"], user=user)
                    messages.success(request, _("廃止を記録しました。"))
                return redirect("department-history:detail", pk=self.department.pk)
            except PeopleError as exc:
                form.add_error(None, str(exc))
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            department=self.department,
            names=self.department.names.select_related("recorded_by").order_by("-valid_from"),
            placements=self.department.placements.select_related("parent", "recorded_by").order_by("-valid_from"),
            people=DepartmentMembership.objects.open().filter(department=self.department).count(),
            forms=self.forms or self._forms(),
        )
        return context


class StaffHistoryView(_HRMixin, WagtailAdminTemplateMixin, TemplateView):
    """One person's department history with the start of each row correctable (着任日): the row
    before moves with it, an overlap or an inverted row is refused in Japanese."""

    template_name = "people/admin/staff_history.html"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm("people.import_roster"):
            self.staff = get_object_or_404(
                StaffMember.objects.visible_to(request.user).select_related("department"), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("%(name)s さんの所属履歴") % {"name": self.staff.name}

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("department-history:index"), "label": _("所属の履歴")},
            {"url": "", "label": self.get_page_title()},
        ]

    def post(self, request, *args, **kwargs):
        form = StartForm(request.POST)
        error = None
        if form.is_valid():
            membership = get_object_or_404(
                DepartmentMembership.objects.filter(staff=self.staff), pk=form.cleaned_data["membership"]
            )
            try:
                services.membership_start_correct(
                    membership=membership, valid_from=form.cleaned_data["valid_from"], user=request.user
                )
                messages.success(request, _("開始日を訂正しました。"))
                return redirect("department-history:staff", pk=self.staff.pk)
            except PeopleError as exc:
                error = str(exc)
        else:
            error = _("開始日を正しく入力してください。")
        messages.error(request, error)
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        from .selectors import department_name_on

        context = super().get_context_data(**kwargs)
        context["staff"] = self.staff
        context["memberships"] = (
            DepartmentMembership.objects.filter(staff=self.staff)
            .select_related("department")
            .annotate(department_name_then=department_name_on(department="department", day="valid_from"))
            .order_by("valid_from")
        )
        return context


class DepartmentHistoryMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("people.import_roster")


class DepartmentHistoryViewSet(ViewSet):
    name = "department-history"
    icon = "folder-open-inverse"
    menu_label = _("所属の履歴")
    add_to_admin_menu = True
    menu_order = 810
    menu_item_class = DepartmentHistoryMenuItem

    def get_urlpatterns(self):
        return [
            path("", DepartmentListView.as_view(), name="index"),
            path("<int:pk>/", DepartmentDetailView.as_view(), name="detail"),
            path("staff/<int:pk>/", StaffHistoryView.as_view(), name="staff"),
        ]
