"""Reminders, exactly once (docs/decisions/0011): the daily run for every running cycle (before
the due date, on it, every week after it, and the 所属長's escalation), a 所属長's 督促 now, and
their delivery after the claim commits. `training.services` re-exports these names."""

from __future__ import annotations

import datetime
import logging
import smtplib
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .heads import Head, department_names, head_department, heads_by_department, hr_recipients
from .models import Assignment, ReminderLog, RevisionReview, TrainingCycle
from .services import BATCH, BEFORE_DUE_DAYS, ESCALATE_AFTER_DAYS, OVERDUE_EVERY_DAYS, TrainingError

logger = logging.getLogger(__name__)

# Not a refusal of the message: the connection to the mail server went away.
LOST_CONNECTION = (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError)


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


def _stale_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=getattr(settings, "REMINDER_CLAIM_STALE_SECONDS", 120))


def _claim(rows: list[ReminderLog], *, token: uuid.UUID | None = None) -> dict[int, int]:
    """Insert the log rows (at most one per person), skipping any that exist (unique per person,
    cycle, kind and day), and return {staff id: log id} of the unsent rows this call holds: only
    those are sent. A concurrent or repeated run inserts nothing for a reminder already claimed,
    so it never sends it twice. An existing row still unsent is taken over (decision 0034) when
    it carries this `token` (the same task run again after its worker died) or its claim went
    stale (REMINDER_CLAIM_STALE_SECONDS without renewal: the run that held it died)."""
    if not rows:
        return {}
    token = token or uuid.uuid4()
    now = timezone.now()
    for row in rows:
        row.claim = token
        row.claimed_at = now
    ReminderLog.objects.bulk_create(rows, ignore_conflicts=True)
    wanted = {(row.staff_id, row.cycle_id, row.kind, row.sent_on) for row in rows}
    left = [
        pk
        for pk, *key in ReminderLog.objects.filter(
            Q(claimed_at__lt=_stale_cutoff(now)) | Q(claim=token),
            cycle_id__in={row.cycle_id for row in rows},
            staff_id__in={row.staff_id for row in rows},
            sent_at__isnull=True,
        ).values_list("pk", "staff_id", "cycle_id", "kind", "sent_on")
        if tuple(key) in wanted
    ]
    if left:
        _adopt(left, token=token, now=now)
    held = ReminderLog.objects.filter(
        claim=token,
        sent_at__isnull=True,
        cycle_id__in={row.cycle_id for row in rows},
        staff_id__in={row.staff_id for row in rows},
    ).values_list("pk", "staff_id", "cycle_id", "kind", "sent_on")
    return {staff_id: pk for pk, staff_id, *key in held if (staff_id, *key) in wanted}


def _adopt(pks: Sequence[int], *, token: uuid.UUID, now: datetime.datetime, fresh_claims: Sequence = ()) -> int:
    """Take over unsent rows left by a run that died: one UPDATE that re-checks they are still
    unsent and stale (or already ours, or handed to us by `fresh_claims`), so of two runs adopting
    at once only one gets each row."""
    taken = ReminderLog.objects.filter(
        Q(claimed_at__lt=_stale_cutoff(now)) | Q(claim=token) | Q(claim__in=list(fresh_claims)),
        pk__in=list(pks),
        sent_at__isnull=True,
    ).update(claim=token, claimed_at=now)
    if taken:
        logger.warning("training: %d claimed but unsent reminder(s) taken over by claim %s", taken, token)
    return taken


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
    """Send each message and stamp its log rows sent the moment the mail server has accepted it
    (one UPDATE, committed at once), so a crash loses no record of a delivered mail; delete the
    rows of a refused message (a later run tries again: it was not sent). While sending, the
    claim of the rows still waiting is renewed, so no other run takes them over as stale. A crash
    leaves only the one mail in flight unstamped: the next run sends that one again."""
    sent = failed = 0
    if not messages:
        return 0, 0
    renew_every = getattr(settings, "REMINDER_CLAIM_STALE_SECONDS", 120) / 4
    renewed = time.monotonic()
    mail = get_connection()
    try:
        mail.open()
        for index, (log_ids, message) in enumerate(messages):
            if time.monotonic() - renewed >= renew_every:
                waiting = [pk for ids, _m in messages[index:] for pk in ids]
                ReminderLog.objects.filter(pk__in=waiting, sent_at__isnull=True).update(claimed_at=timezone.now())
                renewed = time.monotonic()
            try:
                try:
                    mail.send_messages([message])
                except LOST_CONNECTION:
                    # The server dropped the connection (restarted, idle timeout): once more on a
                    # new one. Dropped again, the run stops; the rows stay claimed for the next.
                    logger.warning("training: mail server connection lost; reconnecting")
                    mail.close()
                    mail.open()
                    mail.send_messages([message])
            except LOST_CONNECTION:
                raise
            except Exception:
                logger.exception("training: reminder %s not sent", log_ids)
                ReminderLog.objects.filter(pk__in=log_ids, sent_at__isnull=True).delete()
                failed += len(log_ids)
            else:
                ReminderLog.objects.filter(pk__in=log_ids).update(sent_at=timezone.now())
                sent += len(log_ids)
    finally:
        mail.close()
    return sent, failed


def _messages(rows, *, on: datetime.date) -> list[tuple[list[int], EmailMessage]]:
    urls: dict[int, str] = {}
    messages = []
    for row in rows:
        if row.cycle_id not in urls:
            urls[row.cycle_id] = course_url(row.cycle.guideline)
        messages.append(([row.pk], _reminder_message(row, on=on, url=urls[row.cycle_id])))
    return messages


def reminders_deliver(
    *,
    log_ids: Sequence[int],
    on: datetime.date | None = None,
    claim: str | None = None,
    token: uuid.UUID | None = None,
) -> int:
    """Send the claimed, unsent reminders to their assignees (the task the 督促 button enqueues).
    `claim` is the request's claim, handed to this delivery; `token` this task run's own (the same
    when the task runs again after its worker died). Rows claimed by another live run are left to
    it. Returns how many were sent."""
    on = on or timezone.localdate()
    token = token or uuid.uuid4()
    now = timezone.now()
    ids = list(
        ReminderLog.objects.filter(pk__in=log_ids, sent_at__isnull=True)
        .exclude(kind=ReminderLog.Kind.ESCALATION)
        .values_list("pk", flat=True)
    )
    if claim is None:
        # Enqueued before decision 0034: the rows have no delivery claim; take them all.
        ReminderLog.objects.filter(pk__in=ids, sent_at__isnull=True).update(claim=token, claimed_at=now)
    else:
        _adopt(ids, token=token, now=now, fresh_claims=[claim])
    rows = (
        ReminderLog.objects.filter(pk__in=ids, claim=token, sent_at__isnull=True)
        .select_related("staff", "assignment", "cycle__guideline")
        .order_by("pk")
    )
    sent, _failed = _send(_messages(rows, on=on))
    return sent


def _manual_orphans(on: datetime.date, token: uuid.UUID) -> dict[str, int]:
    """督促 claimed but never delivered (the delivery task's worker died for good): the daily run
    sends those of the last week whose person is still open, once their claim is stale."""
    now = timezone.now()
    ids = list(
        ReminderLog.objects.filter(
            kind=ReminderLog.Kind.MANUAL,
            sent_at__isnull=True,
            claimed_at__lt=_stale_cutoff(now),
            sent_on__gte=on - datetime.timedelta(days=OVERDUE_EVERY_DAYS),
            assignment__in=Assignment.objects.open(),
        ).values_list("pk", flat=True)
    )
    if not ids or not _adopt(ids, token=token, now=now):
        return {"sent": 0, "failed": 0}
    rows = ReminderLog.objects.filter(pk__in=ids, claim=token, sent_at__isnull=True).select_related(
        "staff", "assignment", "cycle__guideline"
    )
    sent, failed = _send(_messages(rows, on=on))
    return {"sent": sent, "failed": failed}


class AlreadyReminded(TrainingError):
    """The person had a 督促 today already (one per person, cycle and day)."""


class CannotRemind(TrainingError):
    """The person cannot get a 督促 (finished, or out of the cycle's period)."""


class NoEmail(CannotRemind):
    """The person has no e-mail address: the 所属長 prints the list instead (decision 0032)."""


def _manual_claim(*, assignment: Assignment, user, on: datetime.date, token: uuid.UUID) -> int:
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
        ],
        token=token,
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

    token = uuid.uuid4()
    log_id = _manual_claim(assignment=assignment, user=user, on=on or timezone.localdate(), token=token)
    transaction.on_commit(lambda: tasks.reminders_deliver.enqueue(log_ids=[log_id], claim=str(token)))
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
    token = uuid.uuid4()
    counts = {"sent": 0, "already": 0, "no_email": 0, "skipped": 0}
    log_ids = []
    for assignment in assignments:
        try:
            with transaction.atomic():
                log_ids.append(_manual_claim(assignment=assignment, user=user, on=on, token=token))
        except AlreadyReminded:
            counts["already"] += 1
        except NoEmail:
            counts["no_email"] += 1
        except CannotRemind:
            counts["skipped"] += 1
    counts["sent"] = len(log_ids)
    if log_ids:
        transaction.on_commit(lambda: tasks.reminders_deliver.enqueue(log_ids=log_ids, claim=str(token)))
    return counts


def _assignee_reminders(cycle: TrainingCycle, on: datetime.date, token: uuid.UUID) -> dict[str, int]:
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
        claimed = _claim(rows, token=token)
        messages = []
        for row in rows:
            if row.staff_id in claimed:
                row.pk = claimed[row.staff_id]
                messages.append(([row.pk], _reminder_message(row, on=on, url=url)))
        sent, failed = _send(messages)
        counts["sent"] += sent
        counts["failed"] += failed


HR = "hr"  # the group of people without a 所属長 above them: HR hears of them (decision 0032)


def _escalations(cycle: TrainingCycle, on: datetime.date, token: uuid.UUID) -> dict[str, int]:
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
    claimed_staff = _claim(rows, token=token)
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


def review_reminder_day(*, created_on: datetime.date, due_on: datetime.date, on: datetime.date) -> datetime.date:
    """The latest day a 改正点の確認 is to be mentioned on or before `on` (decision 0044): the day it
    was given, then as an assignment's schedule (7 days before its due date, on it, weekly after)."""
    scheduled = reminder_due(due_on=due_on, assigned_on=created_on, on=on)
    return max(created_on, scheduled[1]) if scheduled else created_on


def _review_reminders(on: datetime.date, token: uuid.UUID) -> dict[str, int]:
    """One e-mail to each person whose open 改正点の確認 reached a day of its schedule since their
    last such e-mail, naming every open review (version, due date, link). Claimed as one `revision`
    row per person and day (unique per person, cycle, kind and day): never two on the same day,
    however often this runs; a run after missed days sends one. Pages of staff, keyset on the id."""
    counts = {"sent": 0, "failed": 0, "no_email": 0}
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    reviews = RevisionReview.objects.open().filter(
        staff__is_active=True, cycle__closes_on__gte=on, created_at__lt=timezone.now()
    )
    last = 0
    while True:
        staff_ids = list(
            reviews.filter(staff_id__gt=last).order_by("staff_id").values_list("staff_id", flat=True).distinct()[:BATCH]
        )
        if not staff_ids:
            return counts
        last = staff_ids[-1]
        theirs: dict[int, list[RevisionReview]] = defaultdict(list)
        for review in (
            reviews.filter(staff_id__in=staff_ids)
            .select_related("staff__user", "version__guideline", "cycle")
            .order_by("staff_id", "pk")
        ):
            theirs[review.staff_id].append(review)
        # The last e-mail each person got (or that this day's run holds): the schedule day it covers.
        covered = dict(
            ReminderLog.objects.filter(kind=ReminderLog.Kind.REVISION, staff_id__in=staff_ids)
            .filter(Q(sent_at__isnull=False) | Q(sent_on=on))
            .values("staff_id")
            .annotate(last=models.Max("sent_on"))
            .values_list("staff_id", "last")
        )
        assignments = dict(
            (((cycle_id, staff_id), pk))
            for pk, cycle_id, staff_id in Assignment.objects.filter(
                staff_id__in=staff_ids, cycle_id__in={r.cycle_id for rs in theirs.values() for r in rs}
            ).values_list("pk", "cycle_id", "staff_id")
        )
        rows, mentioned = [], {}
        for staff_id, open_reviews in theirs.items():
            day = max(
                review_reminder_day(created_on=timezone.localtime(r.created_at).date(), due_on=r.due_on, on=on)
                for r in open_reviews
            )
            if covered.get(staff_id) is not None and covered[staff_id] >= day:
                continue
            staff = open_reviews[0].staff
            if not staff.user.email:
                counts["no_email"] += 1
                continue
            first = open_reviews[0]
            assignment_id = assignments.get((first.cycle_id, staff_id))
            if assignment_id is None:
                continue
            mentioned[staff_id] = open_reviews
            rows.append(
                ReminderLog(
                    cycle_id=first.cycle_id,
                    staff=staff,
                    assignment_id=assignment_id,
                    kind=ReminderLog.Kind.REVISION,
                    sent_on=on,
                    recipient=staff.user.email,
                )
            )
        claimed = _claim(rows, token=token)
        messages = []
        for row in rows:
            if row.staff_id not in claimed:
                continue
            subject, body = _render_mail(
                "revision_reminder",
                {
                    "name": row.staff.name,
                    "reviews": [
                        {
                            "guideline": review.version.guideline.title,
                            "version": review.version.label,
                            "effective_date": review.version.effective_date,
                            "due_on": review.due_on,
                            "days_left": (review.due_on - on).days,
                            "days_over": (on - review.due_on).days,
                            "url": base_url + reverse("quizzes:revision_review", args=[review.pk]),
                        }
                        for review in mentioned[row.staff_id]
                    ],
                },
            )
            messages.append(([claimed[row.staff_id]], EmailMessage(subject, body, to=[row.recipient])))
        sent, failed = _send(messages)
        counts["sent"] += sent
        counts["failed"] += failed


def reminders_send(*, on: datetime.date | None = None, token: uuid.UUID | None = None) -> dict[str, int]:
    """The daily run (training.tasks.reminders_send): for every cycle running today, each open
    assignee's scheduled reminder and the 所属長 escalations, each sent at most once however
    often this runs. Staff without e-mail get none (their 所属長's page lists them). `token` is
    the task run's id: run again after its worker died, it sends what it had claimed and not sent
    (decision 0034); so does any later run once that claim is stale, and 督促 never delivered."""
    on = on or timezone.localdate()
    token = token or uuid.uuid4()
    totals: dict[str, int] = defaultdict(int)
    for cycle in TrainingCycle.objects.running_on(on).select_related("guideline"):
        for name, value in _assignee_reminders(cycle, on, token).items():
            totals[f"reminders_{name}"] += value
        for name, value in _escalations(cycle, on, token).items():
            totals[f"escalations_{name}"] += value
    for name, value in _manual_orphans(on, token).items():
        totals[f"manual_{name}"] += value
    for name, value in _review_reminders(on, token).items():
        totals[f"reviews_{name}"] += value
    logger.info("training: reminders for %s: %s", on, dict(totals))
    return dict(totals)
