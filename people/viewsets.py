"""Wagtail admin views of the people app (registered in people/wagtail_hooks.py)."""

from django.core.exceptions import PermissionDenied
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

from . import roster, selectors, services
from .forms import RosterUploadForm
from .models import Municipality, RosterImport
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
        try:
            roster_import = services.roster_import_create(
                municipality=form.cleaned_data["municipality"],
                kind=form.cleaned_data["kind"],
                file_name=upload.name,
                content=upload.read(),
                user=self.request.user,
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
            count_rows=[
                (summary["labels"][kind], count) for kind, count in summary["counts"].items() if count or kind != "skip"
            ],
            key_label=_("職員番号") if self.object.kind == RosterImport.Kind.STAFF else _("所属コード"),
            name_label=_("氏名") if self.object.kind == RosterImport.Kind.STAFF else _("名称"),
            absent_label=_("ファイルにない在職者")
            if self.object.kind == RosterImport.Kind.STAFF
            else _("ファイルにない所属"),
        )
        return context


class RosterImportCommitView(RosterImportPermissionMixin, View):
    """「取り込む」: POST only; applies the confirmed dry run or says why it did not."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        roster_import = selectors.roster_import_get(user=request.user, pk=pk)
        try:
            services.roster_import_commit(
                roster_import=roster_import, plan_digest=request.POST.get("plan_digest", ""), user=request.user
            )
        except services.RosterPlanChanged as exc:
            services.roster_import_refresh(roster_import=roster_import, plan=exc.plan)
            messages.warning(request, str(exc))
        except PeopleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("「%(name)s」を取り込みました。") % {"name": roster_import.file_name})
        return redirect("roster-import:detail", pk=pk)


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
