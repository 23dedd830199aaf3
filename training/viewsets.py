"""The HR admin for training cycles (registered in training/wagtail_hooks.py): a listing with
対象者数 / 修了者数 / 修了率, creation through training.services.cycle_open, date changes through
cycle_update. Every view is scoped to the user's municipality; another's cycle answers 404."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy

from people.models import Department, StaffMember

from . import services
from .forms import TrainingCycleCreateForm, TrainingCycleEditForm
from .models import TrainingCycle


class TrainingCyclePermissionPolicy(ModelPermissionPolicy):
    """Django permissions as usual (HR's come with the role), never outside the user's
    municipality, and no deletion: a cycle is the frame of people's records."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and (
            TrainingCycle.objects.visible_to(user).filter(pk=instance.pk).exists()
        )

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        if not self.user_has_permission(user, action):
            return TrainingCycle.objects.none()
        return TrainingCycle.objects.visible_to(user)

    def instances_user_has_any_permission_for(self, user, actions):
        if not any(self.user_has_permission(user, action) for action in actions):
            return TrainingCycle.objects.none()
        return TrainingCycle.objects.visible_to(user)


def _rate(cycle) -> str:
    return f"{round(100 * cycle.completed_count / cycle.assigned_count)}%" if cycle.assigned_count else "—"


class TrainingCycleIndexView(generic.IndexView):
    def get_base_queryset(self):
        active = Q(assignments__withdrawn_at__isnull=True)
        return (
            TrainingCycle.objects.visible_to(self.request.user)
            .select_related("guideline", "municipality")
            .annotate(
                assigned_count=Count("assignments", filter=active),
                completed_count=Count("assignments", filter=active & Q(assignments__completion__isnull=False)),
            )
            .order_by("-fiscal_year", "-opens_on", "-pk")
        )


class TrainingErrorFormMixin:
    """A write refused by training.services shows its message on the form instead of a 500."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.TrainingError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)


class TrainingCycleCreateView(TrainingErrorFormMixin, generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.cycle_open(
            guideline=data["guideline"],
            fiscal_year=data["fiscal_year"],
            opens_on=data["opens_on"],
            due_on=data["due_on"],
            closes_on=data["closes_on"],
            employment_types=data.get("employment_types") or [],
            departments=data.get("departments") or [],
            new_hire_due_days=data["new_hire_due_days"],
            user=self.request.user,
        )

    def get_success_message(self, instance):
        return gettext("研修サイクル「%(cycle)s」を開始し、%(count)s人を対象にしました。") % {
            "cycle": instance,
            "count": instance.assignments.count(),
        }


class TrainingCycleEditView(TrainingErrorFormMixin, generic.EditView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.cycle_update(
            cycle=self.object,
            due_on=data["due_on"],
            closes_on=data["closes_on"],
            new_hire_due_days=data["new_hire_due_days"],
            revision_review_days=data.get("revision_review_days"),
            user=self.request.user,
        )

    def get_success_message(self):
        return gettext("研修サイクル「%(cycle)s」の日程を変更しました。") % {"cycle": self.object}

    @cached_property
    def header_more_buttons(self):
        return [
            *super().header_more_buttons,
            Button(
                _("期限延長・免除"),
                url=reverse("training-exceptions:cycle", args=[self.object.pk]),
                icon_name="date",
                priority=5,
            ),
            Button(
                _("対象者と概要"),
                url=reverse("training_cycles:inspect", args=[self.object.pk]),
                icon_name="info-circle",
                priority=6,
            ),
        ]


class TrainingCycleInspectView(generic.InspectView):
    """The cycle's detail page: its dates and its audience (the departments with their place in
    the tree, the employment types) and how many people are assigned. Another municipality's
    cycle answers 404 (the queryset is the viewer's)."""

    template_name = "training/admin/cycle_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            TrainingCycle.objects.visible_to(self.request.user).select_related("guideline", "municipality"),
            pk=self.pk,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cycle = self.object
        chosen = list(cycle.departments.order_by("path"))
        ancestor_ids = {int(part) for d in chosen for part in d.path.strip("/").split("/") if part}
        names = {d.pk: d.name for d in Department.objects.filter(pk__in=ancestor_ids)}
        employment = dict(StaffMember.EmploymentType.choices)
        active = cycle.assignments.filter(withdrawn_at__isnull=True)
        context.update(
            cycle=cycle,
            audience_departments=[
                {
                    "department": d,
                    "trail": " › ".join(names.get(int(part), "") for part in d.path.strip("/").split("/") if part),
                }
                for d in chosen
            ],
            audience_employment_types=[employment.get(value, value) for value in cycle.employment_types or []],
            assigned_count=active.count(),
            completed_count=active.filter(completion__isnull=False).count(),
            withdrawn_count=cycle.assignments.filter(withdrawn_at__isnull=False).count(),
        )
        return context

    @cached_property
    def header_more_buttons(self):
        buttons = [b for b in super().header_more_buttons if "delete" not in (b.url or "")]
        return [
            *buttons,
            Button(
                _("期限延長・免除"),
                url=reverse("training-exceptions:cycle", args=[self.object.pk]),
                icon_name="date",
                priority=5,
            ),
        ]


class TrainingCycleViewSet(ModelViewSet):
    model = TrainingCycle
    icon = "calendar-alt"
    menu_label = _("研修サイクル")
    add_to_admin_menu = True
    menu_order = 300
    index_view_class = TrainingCycleIndexView
    add_view_class = TrainingCycleCreateView
    edit_view_class = TrainingCycleEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = TrainingCycleInspectView
    list_display = [
        TitleColumn("name", label=_("研修サイクル"), accessor=str, url_name="training_cycles:edit"),
        Column("municipality", label=_("自治体"), accessor="municipality.name"),
        Column("due_on", label=_("受講期限")),
        Column("assigned_count", label=_("対象者数")),
        Column("completed_count", label=_("修了者数")),
        Column("rate", label=_("修了率"), accessor=_rate),
    ]

    def get_form_class(self, for_update=False):
        return TrainingCycleEditForm if for_update else TrainingCycleCreateForm
