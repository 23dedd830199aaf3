"""Background tasks of the training app (django-tasks: the database backend and its worker in
production, the immediate backend in development and tests)."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone
from django_tasks import TaskContext, task

from . import services


def _token(context: TaskContext) -> uuid.UUID:
    """The task's id as the claim of the reminders it sends: the same task run again after its
    worker died (decision 0034) finds the reminders it claimed and had not sent."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"task:{context.task_result.id}")


@task(takes_context=True)
def reminders_send(context: TaskContext, on: str | None = None) -> dict[str, int]:
    """The daily reminder run; `manage.py send_reminders` enqueues it (cron, docs/decisions/0011).
    `on` is an ISO date (task arguments are JSON); today in Japan when omitted."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    # 改正点の確認 of versions whose 施行日 has come (decision 0037), before the day's reminders.
    services.revision_reviews_create_due(on=day)
    return services.reminders_send(on=day, token=_token(context))


@task(takes_context=True)
def reminders_deliver(context: TaskContext, log_ids: list[int], claim: str | None = None) -> int:
    """Send reminders already claimed in the log (a 所属長's 督促), after the claim commits;
    `claim` is the request's claim handed to this delivery (absent in tasks queued before 0034)."""
    return services.reminders_deliver(log_ids=log_ids, claim=claim, token=_token(context))


@task()
def deliver_reminders(log_ids: list[int]) -> int:
    """The same task under its name before 2026-11: rows an earlier release queued name it by
    this path, and the worker must still find it. Nothing enqueues it any more."""
    return services.reminders_deliver(log_ids=log_ids)


@task()
def revision_reviews_create(version_id: int, on: str | None = None) -> dict[str, int]:
    """Give a substantive version's 改正点の確認 to everyone concerned (decision 0037): enqueued on
    the commit of the publish that recorded the version, and by the daily run for a later 施行日.
    Progress in training.RevisionRollout; a re-run creates nothing twice."""
    from courses.models import GuidelineVersion

    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return services.revision_reviews_create(version=GuidelineVersion.objects.get(pk=version_id), on=day)
