"""The periodic jobs of a production deployment, their schedule and when each counts as late
(decision 0038). deploy/crontab runs each through `manage.py run_periodic <job>`, which records
the run (sns_training.models.PeriodicJobRun); `manage.py check_periodic_jobs` reads the records.
tests/sns_training/test_periodic.py holds deploy/crontab and the README to this table."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import PeriodicJobRun


@dataclass(frozen=True)
class Job:
    name: str  # the management command
    schedule: str  # its crontab line's time fields
    late_after: datetime.timedelta  # no success for longer than this: late
    purpose: str


DAY = datetime.timedelta(days=1)
# A daily job is late when a run was missed: more than a day and a few hours since its last success.
DAILY_LATE = DAY + datetime.timedelta(hours=3)

JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "publish_scheduled",
            "*/5 * * * *",
            datetime.timedelta(minutes=20),
            "Wagtail: publish pages and questions whose go-live time has come, unpublish expired ones",
        ),
        Job("send_reminders", "0 8 * * *", DAILY_LATE, "enqueue the daily training reminders (decision 0011)"),
        Job("purge_roster_imports", "30 3 * * *", DAILY_LATE, "uploaded roster files: kept 90 days"),
        Job("purge_certificate_bundles", "40 3 * * *", DAILY_LATE, "certificate ZIPs: kept 30 days"),
        Job("purge_access_events", "50 3 * * *", DAILY_LATE, "access log: each city's retention (decision 0028)"),
        Job("verify_records", "0 5 * * *", DAILY_LATE, "prove the completion records' hash chains (decision 0018)"),
        Job(
            "apply_department_history",
            "5 0 * * *",
            DAILY_LATE,
            "department renames and merges dated today take effect (decision 0039)",
        ),
        Job(
            "apply_retention",
            "10 4 * * *",
            DAILY_LATE,
            "personal data past each city's retention; as the database owner role (decision 0040)",
        ),
        Job("clearsessions", "20 4 * * *", DAILY_LATE, "expired sessions, which live in the database (decision 0035)"),
    )
}


def run_started(job: str) -> PeriodicJobRun:
    now = timezone.now()
    with transaction.atomic():
        row, created = PeriodicJobRun.objects.select_for_update().get_or_create(
            job=job, defaults={"status": PeriodicJobRun.Status.RUNNING, "last_started_at": now, "runs": 1}
        )
        if not created:
            row.status = PeriodicJobRun.Status.RUNNING
            row.last_started_at = now
            row.runs += 1
            row.save(update_fields=["status", "last_started_at", "runs"])
    return row


def run_finished(row: PeriodicJobRun, *, error: str = "") -> None:
    now = timezone.now()
    row.last_finished_at = now
    if error:
        row.status, row.last_error = PeriodicJobRun.Status.FAILED, error[-4000:]
        row.save(update_fields=["status", "last_finished_at", "last_error"])
    else:
        row.status, row.last_succeeded_at = PeriodicJobRun.Status.SUCCEEDED, now
        row.save(update_fields=["status", "last_finished_at", "last_succeeded_at"])


@dataclass(frozen=True)
class JobState:
    job: Job
    last_succeeded_at: datetime.datetime | None
    status: str  # "ok", "late", "never"
    last_error: str


def job_states(*, now: datetime.datetime | None = None) -> list[JobState]:
    """Each job of JOBS with its last success and whether it is late (never run counts as late)."""
    now = now or timezone.now()
    rows = {row.job: row for row in PeriodicJobRun.objects.filter(job__in=JOBS)}
    states = []
    for job in JOBS.values():
        row = rows.get(job.name)
        succeeded = row.last_succeeded_at if row else None
        if succeeded is None:
            status = "never"
        elif now - succeeded > job.late_after:
            status = "late"
        else:
            status = "ok"
        error = row.last_error if row and row.status == PeriodicJobRun.Status.FAILED else ""
        states.append(JobState(job=job, last_succeeded_at=succeeded, status=status, last_error=error))
    return states
