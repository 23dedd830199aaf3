"""Report reads on a PostgreSQL streaming replica (decision 0036).

With `DATABASE_REPLICA_URL` set, settings add a `replica` database and this router. Reads go to the
replica only inside `replica_reads()` (entered by the report pages and downloads of reports/ for
GET and HEAD) and only for the domain data a report reads (REPLICA_APPS). Everything else stays on
the primary: every write, every read outside a report, and, even inside a report, the user, the
session, permissions, second factors and the reports app's own tables (audit, certificate
bundles), so a log-in, a revoked permission or a just-queued bundle is seen at once
(read-your-writes). A replica lags by a moment; a report may miss a record written in that moment.
Without DATABASE_REPLICA_URL the router is not installed and nothing changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"
PRIMARY = "default"

# The apps whose tables a report reads; of them, the models that stay on the primary.
REPLICA_APPS = frozenset({"people", "courses", "quizzes", "training"})
PRIMARY_MODELS = frozenset({"people.user", "people.rosterimport"})

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Reads of report data inside the block go to the replica (when one is configured)."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def iterate_on_replica(iterable: Iterable) -> Iterator:
    """A streamed response's chunks, each produced with report reads on the replica (a streamed
    body is read by the server after the view has returned, outside the view's block)."""
    iterator = iter(iterable)
    while True:
        with replica_reads():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def reads_replica(model) -> bool:
    meta = model._meta
    return (
        _reading_reports.get()
        and replica_configured()
        and meta.app_label in REPLICA_APPS
        and meta.label_lower not in PRIMARY_MODELS
    )


class ReplicaRouter:
    """Report reads to the replica; all else, and every write and migration, to the primary."""

    def db_for_read(self, model, **hints):
        return REPLICA if reads_replica(model) else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
