"""The background worker that survives crashes (manage.py run_worker, decision 0034).

django-tasks-db's `db_worker` exits on the first database error and leaves a task whose worker was
killed RUNNING for ever. This worker runs the same tasks from the same table, and:
- retries every database or connection error with exponential back-off (capped at
  WORKER_BACKOFF_MAX_SECONDS) instead of exiting: a PostgreSQL restart only pauses it;
- holds a lease (`sns_training.models.TaskLease`) on each task it runs, renewed by a heartbeat
  thread; any worker finding a lease not renewed for WORKER_LEASE_SECONDS runs the task again
  (READY) or, after WORKER_MAX_ATTEMPTS claims, marks it FAILED with `LeaseExpired`, logged;
- a task that fails because the database went away is retried the same bounded way.
Tasks must therefore be safe to run again: reminders claim each mail, certificate ZIPs resume.
"""

from __future__ import annotations

import datetime
import logging
import random
import threading
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .models import TaskLease

logger = logging.getLogger("sns_training.worker")

# Errors that mean "the database (or the connection to it) is not there right now".
TRANSIENT = (OperationalError, InterfaceError)


class LeaseExpired(Exception):
    """The task's worker stopped renewing its lease (killed, or cut off) too many times."""


def _lease_seconds() -> float:
    return float(getattr(settings, "WORKER_LEASE_SECONDS", 30))


def _heartbeat_seconds() -> float:
    return float(getattr(settings, "WORKER_HEARTBEAT_SECONDS", 5))


def _max_attempts() -> int:
    return int(getattr(settings, "WORKER_MAX_ATTEMPTS", 3))


def _backoff_cap() -> float:
    return float(getattr(settings, "WORKER_BACKOFF_MAX_SECONDS", 30))


def retry_delay(attempt: int) -> float:
    """Seconds before the next try after `attempt` failed ones: 0.5, 1, 2, 4 … up to the cap, with
    up to 25 % jitter so a pool of workers does not reconnect in step."""
    delay = min(_backoff_cap(), 0.5 * 2 ** max(0, attempt - 1))
    return delay * (1 + random.random() / 4)  # noqa: S311 - jitter, not security


def _close_connections() -> None:
    """Drop this thread's broken connections so the next query opens a fresh one."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            conn.connection = None


def expired_leases_reap(*, backend_name: str = "default") -> dict[str, int]:
    """Find RUNNING tasks whose lease was not renewed within WORKER_LEASE_SECONDS (or that have no
    lease and started longer ago than that: claimed by a worker without leases) and run them
    again, or mark them failed after WORKER_MAX_ATTEMPTS claims. Rows are locked with SKIP LOCKED,
    so workers reaping at once never handle one task twice. Returns {"requeued": n, "failed": n}."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=_lease_seconds())
    counts = {"requeued": 0, "failed": 0}
    stale = set(TaskLease.objects.filter(heartbeat_at__lt=cutoff).values_list("task_id", flat=True))
    leased = TaskLease.objects.values("task_id")
    candidates = DBTaskResult.objects.running().filter(backend_name=backend_name)
    ids = list(candidates.filter(pk__in=stale).values_list("pk", flat=True))
    ids += list(candidates.exclude(pk__in=leased).filter(started_at__lt=cutoff).values_list("pk", flat=True))
    for task_id in ids:
        with transaction.atomic():
            row = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(pk=task_id, status=TaskResultStatus.RUNNING)
                .first()
            )
            if row is None:
                continue
            lease = TaskLease.objects.select_for_update().filter(task_id=task_id).first()
            if lease is not None and lease.heartbeat_at >= cutoff:
                continue  # renewed meanwhile
            attempts = len(row.worker_ids)
            if attempts < _max_attempts():
                row.status = TaskResultStatus.READY
                row.run_after = now + datetime.timedelta(seconds=retry_delay(attempts))
                row.save(update_fields=["status", "run_after"])
                counts["requeued"] += 1
                logger.warning(
                    "worker: task %s (%s) lost its lease (worker %s, attempt %d of %d); queued again",
                    row.pk,
                    row.task_path,
                    row.worker_ids[-1] if row.worker_ids else "?",
                    attempts,
                    _max_attempts(),
                )
            else:
                _mark_failed(
                    row,
                    LeaseExpired(
                        f"The worker running this task stopped renewing its lease {attempts} times "
                        f"(workers {', '.join(row.worker_ids)}); not retried again."
                    ),
                )
                counts["failed"] += 1
                logger.error(
                    "worker: task %s (%s) lost its lease %d times; marked failed", row.pk, row.task_path, attempts
                )
            TaskLease.objects.filter(task_id=task_id).delete()
    return counts


def _mark_failed(row: DBTaskResult, exc: BaseException) -> None:
    row.set_failed(exc)


class Heartbeat(threading.Thread):
    """Renews one task's lease every WORKER_HEARTBEAT_SECONDS while the task runs. A database
    error is logged and tried again at the next beat; the thread has its own connection."""

    def __init__(self, *, task_id, token):
        super().__init__(name=f"heartbeat-{task_id}", daemon=True)
        self.task_id, self.token = task_id, token
        self.stopped = threading.Event()
        self.lost = False  # the lease was taken from this worker

    def run(self) -> None:
        try:
            while not self.stopped.wait(_heartbeat_seconds()):
                try:
                    renewed = TaskLease.objects.filter(task_id=self.task_id, token=self.token).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:
                    logger.warning("worker: heartbeat of task %s failed (%s); trying again", self.task_id, exc)
                    _close_connections()
                    continue
                if not renewed:
                    self.lost = True
                    logger.warning("worker: the lease of task %s was taken over by another worker", self.task_id)
                    return
        finally:
            _close_connections()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


class ResilientWorker(Worker):
    """db_worker's Worker with leases, bounded retries and a loop no database error ends."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reap_every = min(5.0, _lease_seconds() / 2)  # seconds between two looks for expired leases
        self._last_reap = 0.0
        self.failures = 0

    def run(self) -> None:
        logger.info("worker: starting worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spreads a pool's start
        while self.running:
            try:
                if time.monotonic() - self._last_reap >= self.reap_every:
                    expired_leases_reap(backend_name=self.backend_name)
                    self._last_reap = time.monotonic()
                claimed = self._claim()
                if claimed is not None:
                    self.run_task(*claimed)
                self.failures = 0
            except TRANSIENT as exc:
                self.failures += 1
                delay = retry_delay(self.failures)
                logger.warning(
                    "worker: database unavailable (%s: %s); try %d, next in %.1f s",
                    type(exc).__name__,
                    str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                    self.failures,
                    delay,
                )
                _close_connections()
                self._sleep(delay)
                continue
            if self.batch and claimed is None:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and claimed is None:
                self._sleep(self.interval)

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end:
            time.sleep(min(0.2, end - time.monotonic()))

    def _claim(self) -> tuple[DBTaskResult, uuid.UUID] | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            row = tasks.select_for_update(skip_locked=True).first()
            if row is None:
                return None
            now = timezone.now()
            row.status = TaskResultStatus.RUNNING
            row.started_at = now
            row.worker_ids = [*row.worker_ids, self.worker_id]
            row.save(update_fields=["status", "started_at", "worker_ids"])
            token = uuid.uuid4()
            TaskLease.objects.update_or_create(
                task_id=row.pk,
                defaults={"worker_id": self.worker_id, "token": token, "claimed_at": now, "heartbeat_at": now},
            )
        return row, token

    def run_task(self, db_task_result: DBTaskResult, token: uuid.UUID) -> None:
        """Run the task with its lease renewed, then record the outcome (retrying the database
        until it answers) unless the lease was taken over meanwhile."""
        heartbeat = Heartbeat(task_id=db_task_result.pk, token=token)
        heartbeat.start()
        self.running_task = True
        outcome: tuple[str, object]
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            task_started.send(sender=type(task.get_backend()), task_result=task_result)
            if task.takes_context:
                from django_tasks.base import TaskContext

                value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            outcome = ("successful", value)
        except TRANSIENT as exc:
            outcome = ("transient", exc)
        except BaseException as exc:  # noqa: BLE001 - recorded as the task's failure, as db_worker does
            outcome = ("failed", exc)
        finally:
            heartbeat.stop()
            self.running_task = False
            self._run_tasks += 1
        failures = 0
        while True:
            try:
                self._record(db_task_result, token, outcome)
                return
            except TRANSIENT as exc:
                failures += 1
                delay = retry_delay(failures)
                logger.warning(
                    "worker: cannot record task %s yet (%s); next try in %.1f s", db_task_result.pk, exc, delay
                )
                _close_connections()
                time.sleep(delay)

    def _record(self, row: DBTaskResult, token: uuid.UUID, outcome: tuple[str, object]) -> None:
        kind, value = outcome
        with transaction.atomic():
            lease = TaskLease.objects.select_for_update().filter(task_id=row.pk, token=token).first()
            if lease is None:
                logger.warning("worker: task %s was taken over while it ran here; its outcome is not recorded", row.pk)
                return
            if kind == "successful":
                row.set_successful(value)
            elif kind == "transient" and len(row.worker_ids) < _max_attempts():
                row.status = TaskResultStatus.READY
                row.run_after = timezone.now() + datetime.timedelta(seconds=retry_delay(len(row.worker_ids)))
                row.save(update_fields=["status", "run_after"])
                logger.warning("worker: task %s hit a database error (%s); queued again", row.pk, value)
            else:
                row.set_failed(value)
                logger.error("worker: task %s (%s) failed: %r", row.pk, row.task_path, value)
            lease.delete()
        if kind == "successful" or kind == "failed" or row.status == TaskResultStatus.FAILED:
            try:
                task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
            except Exception:  # noqa: BLE001 - a receiver's error must not stop the worker
                logger.exception("worker: task_finished receiver failed for %s", row.pk)


def worker_status(*, backend_name: str = "default") -> dict:
    """What the operator reads (`manage.py worker_status`): tasks ready, running with the age of
    their lease, and failed in the last day, those failed by lost leases listed."""
    now = timezone.now()
    rows = DBTaskResult.objects.filter(backend_name=backend_name)
    leases = {lease.task_id: lease for lease in TaskLease.objects.all()}
    running = []
    for row in rows.running().order_by("started_at"):
        lease = leases.get(row.pk)
        age = (now - lease.heartbeat_at).total_seconds() if lease else None
        running.append(
            {
                "id": str(row.pk),
                "task": row.task_path,
                "worker": lease.worker_id if lease else (row.worker_ids[-1] if row.worker_ids else ""),
                "attempts": len(row.worker_ids),
                "lease_age": age,
                "expired": age is None or age > _lease_seconds(),
            }
        )
    failed = rows.failed().filter(finished_at__gte=now - datetime.timedelta(days=1))
    return {
        "ready": rows.ready().count(),
        "running": running,
        "failed_last_day": failed.count(),
        "lease_expired": [
            {"id": str(pk), "task": path, "finished_at": at}
            for pk, path, at in failed.filter(exception_class_path=f"{__name__}.LeaseExpired").values_list(
                "pk", "task_path", "finished_at"
            )
        ],
    }
