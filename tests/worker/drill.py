"""Pieces of the worker drills shared by tests/worker and bench/drill_worker.py: a real worker
process (`manage.py run_worker` with tests/worker/worker_settings.py), its task rows written as
the database backend writes them, and waiting on the database (decision 0034)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTED: list = []  # every worker started here, for a drill's clean-up


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL naming the database Django is connected to (the test database in tests)."""
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


def task_enqueue(task_path: str, **kwargs) -> str:
    """A task row exactly as django_tasks_db.DatabaseBackend.enqueue writes it (the test process
    runs the immediate backend; the worker process reads this table)."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    row = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": kwargs},
        task_path=task_path,
        backend_name="default",
        queue_name="default",
        priority=0,
        run_after=get_date_max(),
    )
    return str(row.pk)


class WorkerProcess:
    """`manage.py run_worker` as its own process, output to `log`; `kill()` is SIGKILL."""

    def __init__(self, *, name: str, env: dict, log: Path):
        self.name = name
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_worker",
                "--settings=tests.worker.worker_settings",
                "--interval=0.2",
                "--no-startup-delay",
                "--no-reload",
                f"--worker-id={name}",
            ],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )
        STARTED.append(self)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.handle.close()

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.handle.closed:
            self.handle.close()


def wait_for(check: Callable[[], object], *, timeout: float, every: float = 0.05, what: str = "") -> object:
    """Poll `check` until it returns something true; its value. AssertionError after `timeout`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")


def fresh(query: Callable[[], object]) -> object:
    """Run a query on a fresh connection (the worker commits from another process; a broken
    connection after a database restart is replaced)."""
    from django.db import connection

    connection.close()
    return query()
