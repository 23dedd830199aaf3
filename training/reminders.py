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

from .heads import Head, department_names, head_department, heads_by_department, hr_recipients
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


class AlreadyReminded(TrainingError):
    """The person had a 督促 today already (one per person, cycle and day)."""


class CannotRemind(TrainingError):
    """The person cannot get a 督促 (finished, or out of the cycle's period)."""


class NoEmail(CannotRemind):
    """The person has no e-mail address: the 所属長 prints the list instead (decision 0032)."""


def _manual_claim(*, assignment: Assignment, user, on: datetime.date) -> int:
    """The one rule of the 督促 (decision 0011): lock the assignment, refuse what cannot be sent,
    claim today's `manual` row (the unique constraint makes it once per person, cycle and day),
    log who pressed. Returns the claimed log id; the caller enqueues delivery on commit."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("staff__user", "cycle__guideline")
        .get(pk=assignment.pk)
    )
    cycle = assignment.cycle
    if assignment.withdrawn_at is not None or assignment.completion_id is not None or assignment.exempted_at:
        raise CannotRemind(_("この職員は督促の対象ではありません（修了済み、または対象外です）。"))
    if not cycle.opens_on <= on <= cycle.closes_on:
        raise CannotRemind(_("研修サイクルの期間外のため、督促できません。"))
    email = assignment.staff.user.email
    if not email:
        raise NoEmail(
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
        raise AlreadyReminded(
            _("%(name)s さんには本日すでに督促メールを送信しました。督促は1人につき1日1回までです。")
            % {"name": assignment.staff.name}
        )
    log(
        instance=assignment,
        action="training.reminder_sent",
        user=user,
        data={"staff_number": assignment.staff.staff_number, "cycle": cycle.pk, "on": on.isoformat()},
    )
    return next(iter(claimed.values()))


@transaction.atomic
def reminder_send_now(*, assignment: Assignment, user, on: datetime.date | None = None) -> ReminderLog:
    """A 所属長's 督促: one e-mail to the person now, at most one per person, cycle and day. The
    claim commits with this transaction; the e-mail goes out through the task backend after it."""
    from . import tasks

    log_id = _manual_claim(assignment=assignment, user=user, on=on or timezone.localdate())
    transaction.on_commit(lambda: tasks.reminders_deliver.enqueue(log_ids=[log_id]))
    return ReminderLog.objects.get(pk=log_id)


@transaction.atomic
def reminders_send_now_all(
    *, assignments: Sequence[Assignment], user, on: datetime.date | None = None
) -> dict[str, int]:
    """A 所属長's 督促 to everyone still open, in one action (decision 0032): each person by the rule
    of the single 督促 (`_manual_claim`, once per person per day), one delivery task for all.
    `assignments` come from training.selectors.open_assignments_for_reminder (scoped, pk order).
    Returns counts: sent, already (reminded today), no_email, skipped."""
    from . import tasks

    on = on or timezone.localdate()
    counts = {"sent": 0, "already": 0, "no_email": 0, "skipped": 0}
    log_ids = []
    for assignment in assignments:
        try:
            with transaction.atomic():
                log_ids.append(_manual_claim(assignment=assignment, user=user, on=on))
        except AlreadyReminded:
            counts["already"] += 1
        except NoEmail:
            counts["no_email"] += 1
        except CannotRemind:
            counts["skipped"] += 1
    counts["sent"] = len(log_ids)
    if log_ids:
        transaction.on_commit(lambda: tasks.reminders_deliver.enqueue(log_ids=log_ids))
    return counts


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


HR = "hr"  # the group of people without a 所属長 above them: HR hears of them (decision 0032)


def _escalations(cycle: TrainingCycle, on: datetime.date) -> dict[str, int]:
    """Tell each 所属長 of the people who reached 14 days past due since the last run: one e-mail
    per 所属長 (the nearest one above the person, training/heads.py), listing all their people
    still open 14 days or more past due, those without e-mail included. People with no 所属長
    above them go to HR the same way, in one e-mail to HR (decision 0032). Claimed per person (kind
    escalation, on the day they reached 14 days), so a person is reported once."""
    counts = {"sent": 0, "failed": 0, "no_head": 0, "nobody": 0}
    heads = heads_by_department(cycle.municipality_id)
    names = department_names(heads)
    hr = hr_recipients(cycle.municipality_id)
    overdue = list(
        Assignment.objects.open()
        .filter(cycle=cycle, due_on__lte=on - datetime.timedelta(days=ESCALATE_AFTER_DAYS))
        .select_related("staff__user", "staff__department")
        .order_by("staff__department__code", "staff__staff_number")
    )
    groups: dict[int | str, list[Assignment]] = defaultdict(list)
    recipients_of: dict[int | str, list[Head]] = {}
    rows = []
    for assignment in overdue:
        group: int | str | None = head_department(assignment.staff.department.path, assignment.staff_id, heads)
        if group is None:
            counts["no_head"] += 1
            group = HR
            recipients_of[HR] = hr
            if not hr:
                counts["nobody"] += 1  # no HR with e-mail either: only HR's page lists them
                continue
        else:
            recipients_of[group] = heads[group]
        groups[group].append(assignment)
        recipients = [head.email for head in recipients_of[group] if head.staff_id != assignment.staff_id]
        rows.append(
            ReminderLog(
                cycle=cycle,
                staff_id=assignment.staff_id,
                assignment=assignment,
                kind=ReminderLog.Kind.ESCALATION,
                sent_on=assignment.due_on + datetime.timedelta(days=ESCALATE_AFTER_DAYS),
                recipient=", ".join(recipients or [head.email for head in recipients_of[group]]),
            )
        )
    claimed_staff = _claim(rows)
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    messages = []
    for group, people in groups.items():
        log_ids = [claimed_staff[a.staff_id] for a in people if a.staff_id in claimed_staff]
        if not log_ids:
            continue  # nobody new for this 所属長 (or HR) today
        recipients = recipients_of[group]
        subject, body = _render_mail(
            "escalation_hr" if group == HR else "escalation",
            {
                "cycle": str(cycle),
                "heads": [head.name for head in recipients],
                "department": names.get(group, "") if group != HR else "",
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
                "page_url": base_url
                + (
                    reverse("hr_reports:dashboard") + f"?cycle={cycle.pk}#without-head"
                    if group == HR
                    else reverse("training:department")
                ),
            },
        )
        messages.append((log_ids, EmailMessage(subject, body, to=[head.email for head in recipients])))
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
