"""What the server's PostgreSQL connections are doing while wrk runs (--profile): sampled from
pg_stat_activity every few milliseconds. Shows time spent in statements, waiting for row locks
(and in which statement), flushing WAL at commit, and idle inside a transaction while the worker
runs Python between statements."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import psycopg

INTERVAL_S = 0.01

SAMPLE = """
SELECT state, wait_event_type, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 2000)
FROM pg_stat_activity
WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND NOT (pid = ANY(%s))
"""


def _short(statement: str) -> str:
    """The statement without its column list and its values, to group by: SELECT … FROM x JOIN y
    WHERE "x"."id" = N … FOR UPDATE."""
    statement = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", statement)
    statement = re.sub(r"'(?:[^']|'')*'", "'…'", statement)
    return re.sub(r"\b\d+\b", "N", statement)


def _category(state: str | None, wait_type: str | None, wait_event: str | None) -> str:
    if wait_type == "Lock":
        return f"waiting for a lock ({wait_event})"
    if wait_type == "IO" and wait_event == "WALSync":
        return "flushing WAL at COMMIT (IO:WALSync)"
    if state == "active":
        return "running a statement" if not wait_type else f"running a statement ({wait_type}:{wait_event})"
    if state == "idle in transaction":
        return "idle in a transaction (the worker runs Python between statements)"
    return "idle (between requests, or the request is outside the database)"


class WaitSampler:
    """Use as a context manager around a wrk run. `exclude_pids`: backends that are not the
    server's (the benchmark's own Django connection)."""

    def __init__(self, database_url: str, database: str, exclude_pids: list[int]):
        self.database_url = database_url
        self.database = database
        self.exclude_pids = exclude_pids
        self.categories: Counter[str] = Counter()
        self.lock_statements: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        parts = urlsplit(self.database_url)
        with psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname=self.database,
            autocommit=True,
        ) as connection:
            while not self._stop.is_set():
                rows = connection.execute(SAMPLE, [self.database, self.exclude_pids]).fetchall()
                self.samples += 1
                for state, wait_type, wait_event, query in rows:
                    category = _category(state, wait_type, wait_event)
                    self.categories[category] += 1
                    if wait_type == "Lock":
                        self.lock_statements[_short(query)] += 1
                time.sleep(INTERVAL_S)

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        return False

    def report(self) -> str:
        total = sum(self.categories.values())
        if not total:
            return "  (no server connection seen in pg_stat_activity)"
        per_sample = total / self.samples if self.samples else 0
        lines = [
            f"  PostgreSQL, server connections sampled {self.samples} times ({per_sample:.1f} connections each time):"
        ]
        for category, count in self.categories.most_common():
            lines.append(f"    {100 * count / total:5.1f}%  {category}")
        for statement, count in self.lock_statements.most_common(3):
            lines.append(f"    lock waits {100 * count / total:4.1f}% in: {statement[:300]}")
        return "\n".join(lines)
