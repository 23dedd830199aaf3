"""The 所属長's page on the site (not the admin): their people's progress in a cycle and the
督促 button. Thin: scoping lives in training.selectors, writes in training.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services


@require_GET
@login_required
def department(request):
    head = selectors.department_head(user=request.user)
    today = timezone.localdate()
    cycles = selectors.cycles_for(user=request.user)
    cycle = selectors.cycle_pick(cycles=cycles, cycle_id=request.GET.get("cycle"), on=today)
    overview = selectors.department_overview(user=request.user, head=head, cycle=cycle, on=today) if cycle else None
    return render(
        request,
        "training/department.html",
        {"head": head, "cycles": cycles, "cycle": cycle, "overview": overview, "today": today},
    )


@require_POST
@login_required
def remind(request, cycle_id: int, staff_id: int):
    assignment = selectors.assignment_for_reminder(user=request.user, cycle_id=cycle_id, staff_id=staff_id)
    try:
        services.reminder_send_now(assignment=assignment, user=request.user)
    except services.TrainingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s さんに督促メールを送信しました。") % {"name": assignment.staff.name})
    return redirect(f"{reverse('training:department')}?cycle={cycle_id}")
