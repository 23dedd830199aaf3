"""Wagtail admin views of the people app (registered in people/wagtail_hooks.py)."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from identity.models import AccessEvent

from . import appointments, roster, selectors, services
from .forms import RosterUploadForm
from .models import Department, Municipality, RosterImport, StaffMember
from .services import PeopleError


class MunicipalityViewSet(ModelViewSet):
    """Municipalities on the platform. Only the platform admin (superuser) holds these
    permissions; HR and editors never see this menu."""

    model = Municipality
    icon = "site"
    menu_label = _("自治体")
    add_to_admin_menu = True
    menu_order = 900
    form_fields = ["code", "name", "slug"]
    list_display = ["name", "code", "slug"]
    search_fields = ["name", "code"]
    copy_view_enabled = False
    inspect_view_enabled = False

    @property
    def add_view(self):
        """Adding a municipality is onboarding it (decision 0038): its pages, groups, workflow,
        log-in policy and first HR person come with it, through sns_training.services."""
        from sns_training.onboarding_views import MunicipalityOnboardView

        return MunicipalityOnboardView.as_view(viewset=self)


class RosterImportPermissionMixin:
    """HR (and the platform admin) only; every object read through the selectors, scoped to the
    user's municipality, so another municipality's import answers 404."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("people.import_roster"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RosterImportIndexView(RosterImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    """The upload form (the dry run starts here) and the latest imports."""

    template_name = "people/admin/roster_import_index.html"
    form_class = RosterUploadForm
    page_title = _("職員名簿の取込")
    header_icon = "upload"
    recent = 20

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_form_kwargs(self):
        municipalities = selectors.roster_import_municipalities(user=self.request.user)
        return {**super().get_form_kwargs(), "municipalities": municipalities}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not form.municipality_choices:
            raise PermissionDenied  # the permission through a group, but no municipality to import for
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = selectors.roster_imports(user=self.request.user)[: self.recent]
        context["staff_columns"] = roster.STAFF_COLUMNS
        context["department_columns"] = roster.DEPARTMENT_COLUMNS
        context["employment_types"] = [k for k in roster.EMPLOYMENT_TYPES if k != "再任用"]
        context["max_lines"] = f"{roster.max_lines():,}"
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        master = form.cleaned_data.get("departments_file")
        combined = form.cleaned_data["kind"] == RosterImport.Kind.REORGANISATION
        try:
            roster_import = services.roster_import_create(
                municipality=form.cleaned_data["municipality"],
                kind=form.cleaned_data["kind"],
                file_name=upload.name,
                content=upload.read(),
                user=self.request.user,
                retire_missing=form.cleaned_data["retire_missing"],
                effective_on=form.cleaned_data.get("effective_on"),
                departments_file_name=master.name if combined and master else "",
                departments_content=master.read() if combined and master else b"",
            )
        except PeopleError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect("roster-import:detail", pk=roster_import.pk)


class RosterImportDetailView(RosterImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The dry run (what a commit would do, every error line) or, once committed, the result."""

    template_name = "people/admin/roster_import_detail.html"
    header_icon = "upload"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm("people.import_roster"):
            self.object = selectors.roster_import_get(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        if self.object.status == RosterImport.Status.COMMITTED:
            return _("取込結果")
        return _("取込前の確認")

    def get_page_subtitle(self):
        return self.object.file_name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("roster-import:index"), "label": _("職員名簿の取込")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = self.object.summary
        context.update(
            object=self.object,
            summary=summary,
            committed=self.object.status == RosterImport.Status.COMMITTED,
            expired=self.object.dry_run_expired,
        )
        if self.object.kind == RosterImport.Kind.REORGANISATION:
            # The master first, then the roster as planned after it (decision 0045).
            context["parts"] = [
                {"prefix": "departments-", "heading": _("1. 所属マスタ"), **_plan_labels(summary["departments"])},
                {"prefix": "staff-", "heading": _("2. 職員名簿"), **_plan_labels(summary["staff"])},
            ]
        else:
            context.update(_plan_labels(summary))
        return context


def _plan_labels(summary: dict) -> dict:
    """What the dry-run template needs beside one plan's stored summary: its kind's labels and counts."""
    staff = summary["kind"] == RosterImport.Kind.STAFF
    return {
        "summary": summary,
        "kind": summary["kind"],
        "count_rows": [
            (summary["labels"][kind], count) for kind, count in summary["counts"].items() if count or kind != "skip"
        ],
        "key_label": _("職員番号") if staff else _("所属コード"),
        "name_label": _("氏名") if staff else _("名称"),
        "absent_label": _("ファイルにない在職者") if staff else _("ファイルにない所属"),
    }


class RosterImportCommitView(RosterImportPermissionMixin, View):
    """「取り込む」: POST only; applies the confirmed dry run or says why it did not."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        roster_import = selectors.roster_import_get(user=request.user, pk=pk)
        try:
            services.roster_import_commit(
                roster_import=roster_import,
                plan_digest=request.POST.get("plan_digest", ""),
                user=request.user,
                choices=_posted_choices(request.POST),
            )
        except services.RosterPlanChanged as exc:
            services.roster_import_refresh(roster_import=roster_import, plan=exc.plan)
            messages.warning(request, str(exc))
        except PeopleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("「%(name)s」を取り込みました。") % {"name": roster_import.file_name})
        return redirect("roster-import:detail", pk=pk)


def _posted_choices(data) -> dict[int, str]:
    """The dry-run page's choice per warned line (`choice-<line>`: "new" or "same:<number>");
    the service checks them against its own re-plan."""
    choices = {}
    for name, value in data.items():
        if name.startswith("choice-") and name[7:].isdigit():
            choices[int(name[7:])] = value[:40]
    return choices


class RosterImportErrorsView(RosterImportPermissionMixin, View):
    """Every error line of an import as CSV (the page shows the first ones), formula cells escaped."""

    def get(self, request, pk: int):
        roster_import = selectors.roster_import_get(user=request.user, pk=pk, with_content=True)
        try:
            plan = services.roster_import_plan(roster_import=roster_import, user=request.user)
        except roster.RosterFileError as exc:
            raise Http404(str(exc)) from exc
        except PeopleError as exc:  # the file is gone (retention)
            messages.warning(request, str(exc))
            return redirect("roster-import:detail", pk=pk)
        response = HttpResponse(roster.errors_csv(plan), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="roster-import-{roster_import.pk}-errors.csv"'
        return response


class RosterImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("people.import_roster")


class RosterImportViewSet(ViewSet):
    """「職員名簿の取込」in the admin menu: upload → dry run → commit, for staff rosters and the
    department master (people/roster.py plans, people/services.py writes)."""

    name = "roster-import"
    icon = "upload"
    menu_label = _("職員名簿の取込")
    add_to_admin_menu = True
    menu_order = 800
    menu_item_class = RosterImportMenuItem

    def get_urlpatterns(self):
        return [
            path("", RosterImportIndexView.as_view(), name="index"),
            path("<int:pk>/", RosterImportDetailView.as_view(), name="detail"),
            path("<int:pk>/commit/", RosterImportCommitView.as_view(), name="commit"),
            path("<int:pk>/errors.csv", RosterImportErrorsView.as_view(), name="errors"),
        ]


# --- roles appointed on screen (issue 12, decision 0027) --------------------------------------


class AppointPermissionMixin:
    """HR (and the platform admin) only; people are read through selectors scoped to the user's
    municipality, so another municipality's person answers 404."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(appointments.APPOINT_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RoleStaffIndexView(AppointPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """「役割の任命」: the municipality's staff with their roles, searched and filtered."""

    template_name = "people/admin/roles_index.html"
    page_title = _("役割の任命")
    header_icon = "user"
    per_page = 50

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[:100]
        role = self.request.GET.get("role", "")
        queryset = selectors.role_staff_list(user=self.request.user, query=query, role=role).prefetch_related(
            "user__groups"
        )
        page = Paginator(queryset, self.per_page).get_page(self.request.GET.get("p"))
        context.update(
            query=query,
            role=role,
            role_filters=[("", _("すべて")), ("employee", _("職員"))] + list(appointments.APPOINTABLE.items()),
            page_obj=page,
            rows=[(member, _role_labels(member)) for member in page.object_list],
        )
        return context


def _role_labels(member) -> list[str]:
    return [str(appointments.APPOINTABLE[r]) for r in selectors.staff_roles(staff=member)]


class RoleStaffDetailView(AppointPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One person: who they are and the 役割 panel (each role held, with 外す; each other, with 任命する)."""

    template_name = "people/admin/roles_detail.html"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(appointments.APPOINT_PERMISSION):
            self.object = selectors.role_staff_get(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.object.name

    def get_page_subtitle(self):
        return self.object.staff_number

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("staff-roles:index"), "label": _("役割の任命")},
            {"url": "", "label": self.object.name},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        held = selectors.staff_roles(staff=self.object)
        context.update(
            object=self.object,
            roles=[
                {"key": key, "label": label, "held": key in held} for key, label in appointments.APPOINTABLE.items()
            ],
            held_labels=[str(appointments.APPOINTABLE[r]) for r in held],
            history=[
                (event, _history_text(event.detail))
                for event in AccessEvent.objects.visible_to(self.request.user)
                .filter(kind=AccessEvent.Kind.ROLE_CHANGED, subject=self.object.user)
                .select_related("actor")[:20]
            ],
        )
        return context


ACTION_LABELS = {"appoint": _("任命"), "remove": _("解除"), "vacated": _("空席（異動・退職）")}


def _history_text(detail: dict) -> str:
    role = appointments.APPOINTABLE.get(detail.get("role"), detail.get("role", ""))
    text = f"{role} {ACTION_LABELS.get(detail.get('action'), '')}"
    if detail.get("department_name"):
        text += f"（{detail['department_name']}）"
    return text


class RoleChangeView(AppointPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The confirmation (GET) and the change itself (POST, CSRF) of one appointment or removal."""

    template_name = "people/admin/roles_confirm.html"
    header_icon = "user"
    action = "appoint"

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(appointments.APPOINT_PERMISSION):
            self.object = selectors.role_staff_get(user=request.user, pk=kwargs["pk"])
            if kwargs["role"] not in appointments.APPOINTABLE:
                raise Http404
            self.role = kwargs["role"]
        return super().dispatch(request, *args, **kwargs)

    @property
    def role_label(self):
        return appointments.APPOINTABLE[self.role]

    def get_page_title(self):
        if self.action == "appoint":
            return _("%(role)sに任命する") % {"role": self.role_label}
        return _("%(role)sを外す") % {"role": self.role_label}

    def get_page_subtitle(self):
        return self.object.name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("staff-roles:index"), "label": _("役割の任命")},
            {"url": reverse("staff-roles:detail", args=[self.object.pk]), "label": self.object.name},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.object
        head = self.role == appointments.DEPARTMENT_HEAD
        current_head = None
        if head and self.action == "appoint":
            current_head = (
                StaffMember.objects.filter(department_id=member.department_id, role=appointments.DEPARTMENT_HEAD)
                .exclude(pk=member.pk)
                .first()
            )
        context.update(
            object=member,
            role=self.role,
            role_label=self.role_label,
            action=self.action,
            department=member.department if head else None,
            current_head=current_head,
            replaces=(
                appointments.APPOINTABLE.get(member.role)
                if self.action == "appoint" and self.role in appointments.STAFF_ROLES and member.role != "employee"
                else None
            ),
            group=appointments.group_name(role=self.role, municipality=member.municipality)
            if self.role in appointments.GROUP_ROLES
            else None,
        )
        return context

    def post(self, request, pk: int, role: str):
        try:
            if self.action == "appoint":
                department = None
                if role == appointments.DEPARTMENT_HEAD and request.POST.get("department"):
                    department = (
                        Department.objects.visible_to(request.user).filter(pk=_int(request.POST["department"])).first()
                    )
                    if department is None:
                        raise Http404
                appointments.role_appoint(
                    by=request.user, staff=self.object, role=role, department=department, request=request
                )
                messages.success(
                    request,
                    _("%(name)s さんを%(role)sに任命しました。") % {"name": self.object.name, "role": self.role_label},
                )
            else:
                appointments.role_remove(by=request.user, staff=self.object, role=role, request=request)
                messages.success(
                    request,
                    _("%(name)s さんの%(role)sを外しました。") % {"name": self.object.name, "role": self.role_label},
                )
        except PeopleError as exc:
            messages.error(request, str(exc))
        return redirect("staff-roles:detail", pk=pk)


def _int(value) -> int:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else 0


class RoleRemoveView(RoleChangeView):
    action = "remove"


class DepartmentHeadsView(AppointPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Each department with its 所属長, or 空席 (a transfer leaves the post vacant)."""

    template_name = "people/admin/roles_departments.html"
    page_title = _("所属と所属長")
    header_icon = "group"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("staff-roles:index"), "label": _("役割の任命")},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        head = self.request.GET.get("head", "")
        vacant = {"vacant": True, "filled": False}.get(head)
        rows = selectors.department_heads(user=self.request.user, vacant=vacant)
        context.update(
            rows=rows,
            head=head,
            head_filters=[("", _("すべて")), ("filled", _("所属長あり")), ("vacant", _("空席"))],
            vacant_count=sum(1 for _d, h in rows if h is None) if vacant is None else None,
        )
        return context


class RolesMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(appointments.APPOINT_PERMISSION)


class RolesViewSet(ViewSet):
    """「役割の任命」in the admin menu: HR appoints 所属長, 人事担当, 編集者 and 承認者 within their
    municipality (people/appointments.py writes)."""

    name = "staff-roles"
    url_prefix = "roles"
    icon = "user"
    menu_label = _("役割の任命")
    add_to_admin_menu = True
    menu_order = 810
    menu_item_class = RolesMenuItem

    def get_urlpatterns(self):
        return [
            path("", RoleStaffIndexView.as_view(), name="index"),
            path("departments/", DepartmentHeadsView.as_view(), name="departments"),
            path("<int:pk>/", RoleStaffDetailView.as_view(), name="detail"),
            path("<int:pk>/appoint/<str:role>/", RoleChangeView.as_view(), name="appoint"),
            path("<int:pk>/remove/<str:role>/", RoleRemoveView.as_view(), name="remove"),
        ]
