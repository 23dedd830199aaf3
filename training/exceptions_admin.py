"""HR's screen for exceptions for one person (decision 0030): a cycle's assignees, searched, with
their status, due date and exception; a selection is extended, exempted or given back (POST, CSRF)
through training.services. HR of the cycle's municipality only: another municipality's cycle, or
an assignment of another cycle, answers 404; anyone without the cycle permission is refused."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from people import scoping

from . import services
from .models import Assignment, AssignmentException, TrainingCycle

PERMISSION = "training.change_trainingcycle"


class ExceptionForm(forms.Form):
    ACTIONS = [
        ("extend", _("受講期限を延長する")),
        ("exempt", _("今年度の受講を免除する")),
        ("undo_extension", _("期限延長を取り消す")),
        ("undo_exemption", _("免除を取り消す")),
    ]
    action = forms.ChoiceField(label=_("操作"), choices=ACTIONS)
    assignments = forms.TypedMultipleChoiceField(label=_("対象者"), coerce=int)
    due_on = forms.DateField(label=_("新しい受講期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(
        label=_("理由"), choices=[("", "---------"), *Assignment.ExceptionReason.choices], required=False
    )
    note = forms.CharField(label=_("備考"), max_length=500, required=False)

    def __init__(self, *args, assignment_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignments"].choices = [(pk, pk) for pk in assignment_ids]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "extend" and not data.get("due_on"):
            self.add_error("due_on", gettext("新しい受講期限を入力してください。"))
        if action in ("extend", "exempt") and not data.get("reason"):
            self.add_error("reason", gettext("理由を選んでください。"))
        return data


def _cycle_for(user, pk: int) -> TrainingCycle:
    """The cycle, if the user is HR (or a platform admin) of its municipality; else 404."""
    viewer = scoping.viewer_of(user)
    if not (viewer.platform_admin or viewer.is_hr):
        raise Http404
    return get_object_or_404(TrainingCycle.objects.visible_to(user).select_related("guideline"), pk=pk)


class CycleExceptionsView(WagtailAdminTemplateMixin, TemplateView):
    """GET: the cycle's assignees (search by 氏名・職員番号, or one person with ?staff=), their
    status and exceptions, and the cycle's exception history. POST: one action on a selection."""

    template_name = "training/admin/cycle_exceptions.html"
    header_icon = "calendar-alt"
    per_page = 100

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        self.cycle = _cycle_for(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return gettext("期限延長・免除")

    def get_page_subtitle(self):
        return str(self.cycle)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("training_cycles:index"), "label": _("研修サイクル")},
            {"url": reverse("training_cycles:edit", args=[self.cycle.pk]), "label": str(self.cycle)},
            {"url": "", "label": self.get_page_title()},
        ]

    def _assignments(self):
        return services.exception_scope(self.request.user).filter(cycle=self.cycle, withdrawn_at__isnull=True)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        query = self.request.GET.get("q", "").strip()[:100]
        staff = self.request.GET.get("staff", "")
        rows = self._assignments().with_status(today).select_related("staff__department")
        if query:
            rows = rows.filter(Q(staff__name__icontains=query) | Q(staff__staff_number__icontains=query))
        if staff.isdigit():
            rows = rows.filter(staff_id=int(staff))
        page = Paginator(rows.order_by("staff__department__code", "staff__staff_number"), self.per_page).get_page(
            self.request.GET.get("p")
        )
        labels = dict(Assignment.Status.choices)
        context.update(
            cycle=self.cycle,
            query=query,
            page_obj=page,
            rows=[(a, labels[a.status]) for a in page.object_list],
            form=form or ExceptionForm(assignment_ids=[]),
            history=list(
                AssignmentException.objects.filter(assignment__cycle=self.cycle)
                .select_related("assignment__staff", "created_by")
                .order_by("-created_at", "-pk")[:50]
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        ids = [int(v) for v in request.POST.getlist("assignments") if v.isdigit()]
        # Only this cycle's assignments within the user's scope are choices: anything else is invalid.
        allowed = list(self._assignments().filter(pk__in=ids).values_list("pk", flat=True))
        form = ExceptionForm(request.POST, assignment_ids=allowed)
        if not form.is_valid():
            if set(ids) - set(allowed):
                raise Http404
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        user, selected = request.user, data["assignments"]
        try:
            if data["action"] == "extend":
                count = services.assignments_extend(
                    user=user, assignment_ids=selected, due_on=data["due_on"], reason=data["reason"], note=data["note"]
                )
                message = gettext("%(count)s人の受講期限を延長しました。")
            elif data["action"] == "exempt":
                count = services.assignments_exempt(
                    user=user, assignment_ids=selected, reason=data["reason"], note=data["note"]
                )
                message = gettext("%(count)s人を今年度の受講から免除しました。")
            elif data["action"] == "undo_extension":
                count = services.assignments_extension_undo(user=user, assignment_ids=selected, note=data["note"])
                message = gettext("%(count)s人の期限延長を取り消しました。")
            else:
                count = services.assignments_exemption_undo(user=user, assignment_ids=selected, note=data["note"])
                message = gettext("%(count)s人の免除を取り消しました。")
        except services.TrainingError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, message % {"count": count})
        return redirect(request.get_full_path())


class TrainingExceptionsViewSet(ViewSet):
    """Registered without a menu item: reached from a cycle's edit page and the personnel record."""

    name = "training-exceptions"
    url_prefix = "training-exceptions"

    def get_urlpatterns(self):
        return [path("cycle/<int:pk>/", CycleExceptionsView.as_view(), name="cycle")]
