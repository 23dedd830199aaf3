"""Reminders, exactly once (docs/decisions/0011): the daily run for every running cycle (before
the due date, on it, every week after it, and the 所属長's escalation), a 所属長's 督促 now, and
their delivery after the claim commits. `training.services` re-exports these names."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from people.models import Department, StaffMember

from .models import Assignment, ReminderLog, TrainingCycle
from .services import BATCH, BEFORE_DUE_DAYS, ESCALATE_AFTER_DAYS, OVERDUE_EVERY_DAYS, TrainingError

logger = logging.getLogger(__name__)


def reminder_due(
    *, due_on: datetime.date, assigned_on: datetime.date, on: datetime.date
) -> tuple[str, datetime.date] | None:
    """The latest reminder the schedule holds for an open assignment on `on`, as (kind, day): 7 days
    before the due date, on it, then weekly. Only the latest: a run after missed days sends the
    one missed reminder that still matters, not a pile of stale ones. None before the first, and
    for a day before the person was assigned."""
    if on < due_on - datetime.timedelta(days=BEFORE_DUE_DAYS):
        return None
    if on < due_on:
        kind, day = ReminderLog.Kind.BEFORE_DUE, due_on - datetime.timedelta(days=BEFORE_DUE_DAYS)
    elif (on - due_on).days < OVERDUE_EVERY_DAYS:
        kind, day = ReminderLog.Kind.DUE, due_on
    else:
        weeks = (on - due_on).days // OVERDUE_EVERY_DAYS
        kind, day = ReminderLog.Kind.OVERDUE, due_on + datetime.timedelta(days=OVERDUE_EVERY_DAYS * weeks)
    if day < assigned_on:
        return None
    return kind, day


def _claim(rows: list[ReminderLog]) -> dict[int, int]:
    """Insert the log rows (at most one per person), skipping any that exist (unique per person,
    cycle, kind and day), and return {staff id: log id} of those this call inserted: only those
    are sent. A concurrent or repeated run inserts nothing for a reminder already claimed, so it
    never sends it twice."""
    if not rows:
        return {}
    token = uuid.uuid4()
    for row in rows:
        row.claim = token
    ReminderLog.objects.bulk_create(rows, ignore_conflicts=True)
    return dict(ReminderLog.objects.filter(claim=token).values_list("staff_id", "pk"))


def course_url(guideline) -> str:
    """The absolute link to the course for e-mails (WAGTAILADMIN_BASE_URL = DJANGO_BASE_URL)."""
    url = guideline.get_url() or "/"
    if url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def _render_mail(template: str, context: dict) -> tuple[str, str]:
    with translation.override("ja"):
        subject = " ".join(render_to_string(f"training/email/{template}_subject.txt", context).split())
        body = render_to_string(f"training/email/{template}_body.txt", context)
    return subject, body


def _reminder_message(log_row: ReminderLog, *, on: datetime.date, url: str) -> EmailMessage:
    assignment = log_row.assignment
    subject, body = _render_mail(
        "reminder",
        {
            "kind": log_row.kind,
            "name": log_row.staff.name,
            "cycle": str(log_row.cycle),
            "due_on": assignment.due_on,
            "days_left": (assignment.due_on - on).days,
            "days_over": (on - assignment.due_on).days,
            "course_url": url,
        },
    )
    return EmailMessage(subject, body, to=[log_row.recipient])


def _send(messages: list[tuple[list[int], EmailMessage]]) -> tuple[int, int]:
    """Send each message; stamp its log rows sent, or delete them when sending failed (so a later
    run tries again: a refused message was not sent)."""
    sent, failed = [], []
    if messages:
        mail = get_connection()
        try:
            mail.open()
            for log_ids, message in messages:
                try:
                    mail.send_messages([message])
                except Exception:
                    logger.exception("training: reminder %s not sent", log_ids)
                    failed.extend(log_ids)
                else:
                    sent.extend(log_ids)
        finally:
            mail.close()
    if sent:
        ReminderLog.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    if failed:
        ReminderLog.objects.filter(pk__in=failed).delete()
    return len(sent), len(failed)


def reminders_deliver(*, log_ids: Sequence[int], on: datetime.date | None = None) -> int:
    """Send the claimed, unsent reminders to their assignees (the task the 督促 button enqueues,
    and the daily run's own sending). Returns how many were sent."""
    on = on or timezone.localdate()
    rows = list(
        ReminderLog.objects.filter(pk__in=log_ids, sent_at__isnull=True)
        .exclude(kind=ReminderLog.Kind.ESCALATION)
        .select_related("staff", "assignment", "cycle__guideline")
    )
    urls: dict[int, str] = {}
    messages = []
    for row in rows:
        if row.cycle_id not in urls:
            urls[row.cycle_id] = course_url(row.cycle.guideline)
        messages.append(([row.pk], _reminder_message(row, on=on, url=urls[row.cycle_id])))
    sent, _failed = _send(messages)
    return sent


@transaction.atomic
def reminder_send_now(*, assignment: Assignment, user, on: datetime.date | None = None) -> ReminderLog:
    """A 所属長's 督促: one e-mail to the person now, at most one per person, cycle and day. The
    claim commits with this transaction; the e-mail goes out through the task backend after it."""
    from . import tasks

    on = on or timezone.localdate()
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("staff__user", "cycle__guideline")
        .get(pk=assignment.pk)
    )
    cycle = assignment.cycle
    if assignment.withdrawn_at is not None or assignment.completion_id is not None or assignment.exempted_at:
        raise TrainingError(_("この職員は督促の対象ではありません（修了済み、または対象外です）。"))
    if not cycle.opens_on <= on <= cycle.closes_on:
        raise TrainingError(_("研修サイクルの期間外のため、督促できません。"))
    email = assignment.staff.user.email
    if not email:
        raise TrainingError(
            _("%(name)s さんはメールアドレスが登録されていないため、督促メールを送れません。直接お声がけください。")
            % {"name": assignment.staff.name}
        )
    claimed = _claim(
        [
            ReminderLog(
                cycle=cycle,
                staff=assignment.staff,
                assignment=assignment,
                kind=ReminderLog.Kind.MANUAL,
                sent_on=on,
                recipient=email,
                sent_by=user,
            )
        ]
    )
    if not claimed:
        raise TrainingError(
            _("%(name)s さんには本日すでに督促メールを送信しました。督促は1人につき1日1回までです。")
            % {"name": assignment.staff.name}
        )
    log(
        instance=assignment,
        action="training.reminder_sent",
        user=user,
        data={"staff_number": assignment.staff.staff_number, "cycle": cycle.pk, "on": on.isoformat()},
    )
    log_ids = list(claimed.values())
    transaction.on_commit(lambda: tasks.reminders_deliver.enqueue(log_ids=log_ids))
    return ReminderLog.objects.get(pk=log_ids[0])


def _assignee_reminders(cycle: TrainingCycle, on: datetime.date) -> dict[str, int]:
    """Claim and send the day's reminders of one cycle, a thousand assignments at a time (keyset
    pages on the id: memory does not grow with the audience)."""
    counts = {"sent": 0, "failed": 0, "no_email": 0}
    url = course_url(cycle.guideline)
    candidates = (
        Assignment.objects.open()
        .filter(cycle=cycle, due_on__lte=on + datetime.timedelta(days=BEFORE_DUE_DAYS))
        .order_by("pk")
    )
    last = 0
    while True:
        page = list(candidates.filter(pk__gt=last).select_related("staff__user")[:BATCH])
        if not page:
            return counts
        last = page[-1].pk
        rows = []
        for assignment in page:
            due = reminder_due(due_on=assignment.due_on, assigned_on=assignment.assigned_on, on=on)
            if due is None:
                continue
            if not assignment.staff.user.email:
                counts["no_email"] += 1  # listed on the 所属長's page instead
                continue
            kind, day = due
            rows.append(
                ReminderLog(
                    cycle=cycle,
                    staff=assignment.staff,
                    assignment=assignment,
                    kind=kind,
                    sent_on=day,
                    recipient=assignment.staff.user.email,
                )
            )
        claimed = _claim(rows)
        messages = []
        for row in rows:
            if row.staff_id in claimed:
                row.pk = claimed[row.staff_id]
                messages.append(([row.pk], _reminder_message(row, on=on, url=url)))
        sent, failed = _send(messages)
        counts["sent"] += sent
        counts["failed"] += failed


def _nearest_heads(cycle: TrainingCycle) -> tuple[dict[int, list[tuple[int, str, str]]], dict[int, str]]:
    """Active 所属長 with an e-mail address, by department: {department id: [(staff id, name, e-mail)]}."""
    heads: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for pk, department_id, name, email in (
        StaffMember.objects.filter(
            municipality_id=cycle.municipality_id, role=StaffMember.Role.DEPARTMENT_HEAD, is_active=True
        )
        .exclude(user__email="")
        .values_list("pk", "department_id", "name", "user__email")
    ):
        heads[department_id].append((pk, name, email))
    names = dict(Department.objects.filter(pk__in=heads.keys()).values_list("pk", "name"))
    return heads, names


def _head_department(path: str, staff_pk: int, heads: dict) -> int | None:
    """The nearest department, from the person's own up, with a 所属長 other than the person."""
    for department_id in reversed([int(part) for part in path.strip("/").split("/") if part]):
        if any(pk != staff_pk for pk, _name, _email in heads.get(department_id, ())):
            return department_id
    return None


def _escalations(cycle: TrainingCycle, on: datetime.date) -> dict[str, int]:
    """Tell each 所属長 of the people who reached 14 days past due since the last run: one e-mail
    per 所属長 (the nearest one above the person), listing all their people still open 14 days or
    more past due, those without e-mail included. Claimed per person (kind escalation, on the day
    they reached 14 days), so a person is reported once."""
    counts = {"sent": 0, "failed": 0, "no_head": 0}
    heads, department_names = _nearest_heads(cycle)
    overdue = list(
        Assignment.objects.open()
        .filter(cycle=cycle, due_on__lte=on - datetime.timedelta(days=ESCALATE_AFTER_DAYS))
        .select_related("staff__user", "staff__department")
        .order_by("staff__department__code", "staff__staff_number")
    )
    groups: dict[int, list[Assignment]] = defaultdict(list)
    rows = []
    for assignment in overdue:
        department_id = _head_department(assignment.staff.department.path, assignment.staff_id, heads)
        if department_id is None:
            counts["no_head"] += 1
            continue
        groups[department_id].append(assignment)
        recipients = [email for pk, _name, email in heads[department_id] if pk != assignment.staff_id]
        rows.append(
            ReminderLog(
                cycle=cycle,
                staff_id=assignment.staff_id,
                assignment=assignment,
                kind=ReminderLog.Kind.ESCALATION,
                sent_on=assignment.due_on + datetime.timedelta(days=ESCALATE_AFTER_DAYS),
                recipient=", ".join(recipients),
            )
        )
    claimed_staff = _claim(rows)
    messages = []
    for department_id, people in groups.items():
        log_ids = [claimed_staff[a.staff_id] for a in people if a.staff_id in claimed_staff]
        if not log_ids:
            continue  # nobody new for this 所属長 today
        recipients = heads[department_id]
        subject, body = _render_mail(
            "escalation",
            {
                "cycle": str(cycle),
                "heads": [name for _pk, name, _email in recipients],
                "department": department_names.get(department_id, ""),
                "people": [
                    {
                        "staff_number": a.staff.staff_number,
                        "name": a.staff.name,
                        "department": a.staff.department.name,
                        "due_on": a.due_on,
                        "days_over": (on - a.due_on).days,
                        "no_email": not a.staff.user.email,
                        "new": a.staff_id in claimed_staff,
                    }
                    for a in people
                ],
                "page_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("training:department"),
            },
        )
        messages.append((log_ids, EmailMessage(subject, body, to=[email for _pk, _name, email in recipients])))
    sent, failed = _send(messages)
    counts["sent"], counts["failed"] = sent, failed
    return counts


def reminders_send(*, on: datetime.date | None = None) -> dict[str, int]:
    """The daily run (training.tasks.reminders_send): for every cycle running today, each open
    assignee's scheduled reminder and the 所属長 escalations, each sent at most once however
    often this runs. Staff without e-mail get none (their 所属長's page lists them)."""
    on = on or timezone.localdate()
    totals: dict[str, int] = defaultdict(int)
    for cycle in TrainingCycle.objects.running_on(on).select_related("guideline"):
        for name, value in _assignee_reminders(cycle, on).items():
            totals[f"reminders_{name}"] += value
        for name, value in _escalations(cycle, on).items():
            totals[f"escalations_{name}"] += value
    logger.info("training: reminders for %s: %s", on, dict(totals))
    return dict(totals)
