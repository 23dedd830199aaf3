"""Leases of running tasks (decision 0034): a task whose worker stopped renewing its lease is run
again, at most WORKER_MAX_ATTEMPTS claims in all, then marked failed where the operator sees it
(`manage.py worker_status`, the log). The real-process drills are in test_worker_drills.py."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from sns_training.models import TaskLease
from sns_training.worker import expired_leases_reap, retry_delay, worker_status

from .drill import task_enqueue

pytestmark = pytest.mark.django_db


def running(*, workers: list[str], beat_ago: float | None, started_ago: float = 60) -> DBTaskResult:
    """A task as a worker leaves it while running it: claimed by `workers`, lease renewed
    `beat_ago` seconds ago (None: no lease, as db_worker claims)."""
    row = DBTaskResult.objects.get(pk=task_enqueue("training.tasks.reminders_send", on="2026-06-30"))
    now = timezone.now()
    row.status = TaskResultStatus.RUNNING
    row.started_at = now - datetime.timedelta(seconds=started_ago)
    row.worker_ids = workers
    row.save()
    if beat_ago is not None:
        TaskLease.objects.create(
            task_id=row.pk,
            worker_id=workers[-1],
            token=uuid.uuid4(),
            claimed_at=row.started_at,
            heartbeat_at=now - datetime.timedelta(seconds=beat_ago),
        )
    return row


def test_a_task_whose_worker_died_is_queued_again(settings, caplog):
    settings.WORKER_LEASE_SECONDS = 30
    row = running(workers=["w1"], beat_ago=31)

    assert expired_leases_reap() == {"requeued": 1, "failed": 0}

    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY and row.run_after > timezone.now() - datetime.timedelta(seconds=1)
    assert not TaskLease.objects.exists()
    assert "lost its lease (worker w1, attempt 1 of 3); queued again" in caplog.text


def test_a_live_lease_is_left_alone(settings):
    settings.WORKER_LEASE_SECONDS = 30
    row = running(workers=["w1"], beat_ago=5)

    assert expired_leases_reap() == {"requeued": 0, "failed": 0}
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING and TaskLease.objects.count() == 1


def test_a_task_claimed_without_a_lease_is_recovered_once_older_than_the_lease(settings):
    """A task left RUNNING by django-tasks-db's own db_worker (no lease) before the upgrade."""
    settings.WORKER_LEASE_SECONDS = 30
    young = running(workers=["old"], beat_ago=None, started_ago=10)
    old = running(workers=["old"], beat_ago=None, started_ago=3600)

    assert expired_leases_reap() == {"requeued": 1, "failed": 0}
    young.refresh_from_db()
    old.refresh_from_db()
    assert (young.status, old.status) == (TaskResultStatus.RUNNING, TaskResultStatus.READY)


def test_after_the_last_attempt_the_task_is_failed_and_the_operator_is_told(settings, caplog):
    settings.WORKER_LEASE_SECONDS = 30
    settings.WORKER_MAX_ATTEMPTS = 3
    row = running(workers=["w1", "w2", "w3"], beat_ago=120)

    assert expired_leases_reap() == {"requeued": 0, "failed": 1}

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED and row.finished_at is not None
    assert row.exception_class_path == "sns_training.worker.LeaseExpired"
    assert "stopped renewing its lease 3 times (workers w1, w2, w3)" in row.traceback
    assert "lost its lease 3 times; marked failed" in caplog.text
    assert [r["id"] for r in worker_status()["lease_expired"]] == [str(row.pk)]
    with pytest.raises(CommandError, match="lost their worker"):
        call_command("worker_status")


def test_worker_status_names_a_running_task_with_an_expired_lease(settings, capsys):
    settings.WORKER_LEASE_SECONDS = 30
    running(workers=["w9"], beat_ago=45)
    with pytest.raises(CommandError):
        call_command("worker_status")
    out = capsys.readouterr().out
    assert "training.tasks.reminders_send worker=w9 attempt=1 lease renewed 45 s ago EXPIRED" in out


def test_back_off_doubles_up_to_the_cap(settings):
    settings.WORKER_BACKOFF_MAX_SECONDS = 30
    assert 0.5 <= retry_delay(1) <= 0.625 and 4 <= retry_delay(4) <= 5
    assert 30 <= retry_delay(20) <= 37.5
