"""The 所属長's page on the site (not the admin): their people's progress in a cycle (filtered and
sorted by GET parameters), the 督促 button, 督促 to everyone still open, and the printable list of
people without e-mail (decision 0032). Thin: scoping lives in training.selectors, writes in training.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .models import Assignment


@require_GET
@login_required
def department(request):
    head = selectors.department_head(user=request.user)
    today = timezone.localdate()
    cycles = selectors.cycles_for(user=request.user)
    cycle = selectors.cycle_pick(cycles=cycles, cycle_id=request.GET.get("cycle"), on=today)
    overview = selectors.department_overview(user=request.user, head=head, cycle=cycle, on=today) if cycle else None
    departments = selectors.departments_for(user=request.user)
    row_filter = selectors.RowFilter.from_query(request.GET, departments=departments)
    rows = row_filter.apply(overview.rows, departments=departments) if overview else []
    return render(
        request,
        "training/department.html",
        {
            "head": head,
            "cycles": cycles,
            "cycle": cycle,
            "overview": overview,
            "today": today,
            "rows": rows,
            "row_filter": row_filter,
            "departments": departments,
            "statuses": [(v, label) for v, label in Assignment.Status.choices if v != Assignment.Status.WITHDRAWN],
            "sorts": SORT_CHOICES,
            "can_remind_all": bool(overview) and any(row.can_remind for row in overview.rows),
        },
    )


SORT_CHOICES = [
    ("department", _lazy("所属順")),
    ("number", _lazy("職員番号順")),
    ("name", _lazy("氏名（カナ）順")),
    ("status", _lazy("状況順")),
    ("due", _lazy("受講期限順")),
]


@require_http_methods(["GET", "POST"])
@login_required
def remind_all(request, cycle_id: int):
    """督促 to everyone still open: GET shows who would be reminded and asks to confirm (no state
    change); POST (CSRF) sends, once per person per day by the one rule (decision 0032)."""
    cycle = selectors.cycle_for_head(user=request.user, cycle_id=cycle_id)
    assignments = selectors.open_assignments_for_reminder(user=request.user, cycle=cycle)
    if request.method == "POST":
        try:
            counts = services.reminders_send_now_all(assignments=assignments, user=request.user)
        except services.TrainingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(sent)d人に督促メールを送信しました（本日送信済み %(already)d人、メールなし %(no_email)d人）。")
                % counts,
            )
        return redirect(f"{reverse('training:department')}?cycle={cycle_id}")
    with_email = [a for a in assignments if a.staff.user.email]
    return render(
        request,
        "training/remind_all.html",
        {
            "cycle": cycle,
            "with_email": with_email,
            "without_email": len(assignments) - len(with_email),
        },
    )


@require_GET
@login_required
def without_email(request):
    """The printable list of the 所属長's people who cannot get a 督促 by e-mail (decision 0032)."""
    head = selectors.department_head(user=request.user)
    today = timezone.localdate()
    cycles = selectors.cycles_for(user=request.user)
    cycle = selectors.cycle_pick(cycles=cycles, cycle_id=request.GET.get("cycle"), on=today)
    overview = selectors.department_overview(user=request.user, head=head, cycle=cycle, on=today) if cycle else None
    return render(
        request,
        "training/without_email.html",
        {"head": head, "cycle": cycle, "overview": overview, "today": today},
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
