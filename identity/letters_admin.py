"""「初回ログイン用の通知書」in the Wagtail admin: HR picks one person, several, or a whole
department of their municipality, confirms (older codes of those people stop working), and gets
the letters as one PDF (identity.services.setup_codes_issue, identity.letters.letters_pdf).
Registered in identity/wagtail_hooks.py; admin URLs allowed in sns_training/admin_access.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from people.models import Department, StaffMember

from . import services
from .letters import letters_pdf
from .models import SetupCode

PERMISSION = "identity.issue_setupcode"


def _ids(values) -> list[int]:
    result = []
    for value in values:
        if not str(value).isascii() or not str(value).isdigit():
            raise Http404
        result.append(int(value))
    return result


def selected_staff(user, data):
    """The active staff the request names (`staff` ids and/or `department` ids, each department with
    the ones below it), all within the user's reach; 404 when any id is not."""
    staff_ids = set(_ids(data.getlist("staff")))
    department_ids = set(_ids(data.getlist("department")))
    staff = StaffMember.objects.visible_to(user)
    if staff_ids and staff.filter(pk__in=staff_ids).count() != len(staff_ids):
        raise Http404
    departments = list(Department.objects.visible_to(user).filter(pk__in=department_ids))
    if len(departments) != len(department_ids):
        raise Http404
    condition = Q(pk__in=staff_ids)
    for department in departments:
        condition |= Q(municipality_id=department.municipality_id, department__path__startswith=department.path)
    return (
        staff.filter(condition, is_active=True)
        .select_related("department", "municipality", "user")
        .prefetch_related("user__groups")
        .order_by("department__code", "staff_number")
    )


class PermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class LettersIndexView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The user's municipality's staff (optionally one department), to pick from."""

    template_name = "identity/admin/letters_index.html"
    page_title = _("初回ログイン用の通知書")
    header_icon = "key"
    limit = 500

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        departments = Department.objects.visible_to(user).order_by("municipality__code", "code")
        department = None
        raw = self.request.GET.get("department", "")
        if raw:
            department = departments.filter(pk__in=_ids([raw])).first()
            if department is None:
                raise Http404
        staff = StaffMember.objects.visible_to(user).active().select_related("department", "user")
        if department is not None:
            staff = staff.filter(
                municipality_id=department.municipality_id, department__path__startswith=department.path
            )
        query = self.request.GET.get("q", "").strip()[:50]
        if query:
            staff = staff.filter(Q(staff_number__icontains=query) | Q(name__icontains=query) | Q(kana__icontains=query))
        staff = staff.annotate(
            live_codes=Count(
                "setup_codes",
                filter=Q(
                    setup_codes__used_at__isnull=True,
                    setup_codes__revoked_at__isnull=True,
                    setup_codes__expires_at__gt=timezone.now(),
                ),
            )
        ).order_by("department__code", "staff_number")
        rows = list(staff[: self.limit + 1])
        context.update(
            departments=departments,
            department=department,
            query=query,
            rows=rows[: self.limit],
            truncated=len(rows) > self.limit,
            confirm_url=reverse("setup_letters:confirm"),
        )
        return context


class LettersConfirmView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Who gets a letter, and that their older codes stop working; the button POSTs to issue."""

    template_name = "identity/admin/letters_confirm.html"
    page_title = _("通知書の発行の確認")
    header_icon = "key"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("setup_letters:index"), "label": _("初回ログイン用の通知書")},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        everyone = list(selected_staff(self.request.user, self.request.GET))
        platform_admin = self.request.user.is_superuser
        staff = [s for s in everyone if platform_admin or not services.setup_code_privileged(s)]
        live = set(
            SetupCode.objects.visible_to(self.request.user)
            .live()
            .filter(staff__in=staff, expires_at__gt=timezone.now())
            .values_list("staff_id", flat=True)
        )
        context.update(
            staff=staff,
            with_live_code=[s for s in staff if s.pk in live],
            privileged=[s for s in everyone if s not in staff],
            staff_ids=self.request.GET.getlist("staff"),
            department_ids=self.request.GET.getlist("department"),
        )
        return context


class LettersIssueView(PermissionMixin, View):
    """POST only: issue the codes and answer with the letters (one A4 page a person)."""

    http_method_names = ["post"]

    def post(self, request):
        staff = selected_staff(request.user, request.POST)
        try:
            issued = services.setup_codes_issue(issued_by=request.user, staff_qs=staff, request=request)
        except services.SetupCodeError as exc:
            messages.error(request, str(exc))
            return redirect("setup_letters:index")
        response = HttpResponse(letters_pdf(issued), content_type="application/pdf")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="setup-letters-{stamp}.pdf"'
        response["Cache-Control"] = "no-store"
        return response


class LettersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(PERMISSION)


class SetupLettersViewSet(ViewSet):
    name = "setup_letters"
    url_prefix = "setup-letters"
    icon = "key"
    menu_label = _("初回ログイン用の通知書")
    add_to_admin_menu = True
    menu_order = 810
    menu_item_class = LettersMenuItem

    def get_urlpatterns(self):
        return [
            path("", LettersIndexView.as_view(), name="index"),
            path("confirm/", LettersConfirmView.as_view(), name="confirm"),
            path("issue/", LettersIssueView.as_view(), name="issue"),
        ]
