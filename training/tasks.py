"""Background tasks of the training app (django-tasks: the database backend and its worker in
production, the immediate backend in development and tests)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

from . import services


@task()
def reminders_send(on: str | None = None) -> dict[str, int]:
    """The daily reminder run; `manage.py send_reminders` enqueues it (cron, docs/decisions/0011).
    `on` is an ISO date (task arguments are JSON); today in Japan when omitted."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return services.reminders_send(on=day)


@task()
def reminders_deliver(log_ids: list[int]) -> int:
    """Send reminders already claimed in the log (a 所属長's 督促), after the claim commits."""
    return services.reminders_deliver(log_ids=log_ids)


@task()
def deliver_reminders(log_ids: list[int]) -> int:
    """The same task under its name before 2026-11: rows an earlier release queued name it by
    this path, and the worker must still find it. Nothing enqueues it any more."""
    return services.reminders_deliver(log_ids=log_ids)
