"""The hash chain of completion records (decision 0018): each record stores the hash of the
previous record of its municipality and a hash of its own content, so a changed, removed or
inserted record shows in `manage.py verify_records`. Appended only from CompletionRecord's insert."""

from __future__ import annotations

import datetime
import hashlib
import json
import zlib
from dataclasses import dataclass

from django.db import connections

# previous_hash of the first record of a municipality.
GENESIS = "0" * 64
# First key of the transaction-scoped PostgreSQL advisory lock on a municipality's chain.
_LOCK_CLASS = zlib.crc32(b"quizzes.completion_chain") & 0x7FFFFFFF
# The hashed columns: every column of the record but its id (given by the database) and the hash
# itself. Fixed here, not read from the model, so that a column added later does not change the
# hash of the records already written; never change this list (a new one needs a new scheme).
HASHED_FIELDS = (
    "staff_id",
    "guideline_id",
    "fiscal_year",
    "municipality_name",
    "staff_number",
    "staff_name",
    "department_code",
    "department_name",
    "employment_type",
    "employment_type_label",
    "guideline_title",
    "guideline_version",
    "guideline_revision_id",
    "chapter_revisions",
    "content_hash",
    "answers",
    "clauses_mastered",
    "clauses_total",
    "first_try_correct",
    "first_try_total",
    "completed_at",
    "attested_at",
    "verification_code",
    "cycle_id",
    "municipality_id",
    "chain_index",
    "previous_hash",
)


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def record_digest(record) -> str:
    """SHA-256 over HASHED_FIELDS of the record (previous_hash and chain_index included), as
    canonical JSON. Also used by the migration that chained the records written before."""
    content = {name: _plain(getattr(record, name)) for name in HASHED_FIELDS}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_chain(municipality_id: int, *, using: str) -> None:
    """Serialise appends to one municipality's chain until the transaction ends. Taken last, just
    before the INSERT (lock order: staff row, assignment row, chain). SQLite serialises writers
    itself; the unique (municipality, chain_index) constraint refuses a fork on any database."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, municipality_id])


def link(record, *, using: str) -> None:
    """Give an unsaved record its place at the end of its municipality's chain. Call inside the
    transaction that inserts it, after lock_chain."""
    from .models import CompletionRecord

    last = (
        CompletionRecord.objects.using(using)
        .filter(municipality_id=record.municipality_id)
        .order_by("-chain_index")
        .values("chain_index", "record_hash")
        .first()
    )
    if last is None:
        # An empty chain starts at 0, or where a retention purge left it (everything purged).
        record.chain_index, record.previous_hash = start_of(record.municipality_id, using=using)
    else:
        record.chain_index, record.previous_hash = last["chain_index"] + 1, last["record_hash"]
    record.record_hash = record_digest(record)


def append(records, *, using: str) -> None:
    """Link unsaved records (of one or more municipalities) in the given order; the caller inserts
    them in the same transaction."""
    assert connections[using].in_atomic_block, "chain appends must run inside a transaction"
    for municipality_id in sorted({record.municipality_id for record in records}):
        lock_chain(municipality_id, using=using)
    tails: dict[int, tuple[int, str]] = {}
    for record in records:
        if record.municipality_id not in tails:
            link(record, using=using)
        else:
            index, previous = tails[record.municipality_id]
            record.chain_index = index + 1
            record.previous_hash = previous
            record.record_hash = record_digest(record)
        tails[record.municipality_id] = (record.chain_index, record.record_hash)


# The audit action a retention purge writes (quizzes.services.completion_records_purge): its data
# holds the first index kept (`first_index`) and the record_hash of the record before it.
PURGE_ACTION = "quizzes.records_purged"


def start_of(municipality_id: int, *, using: str = "default") -> tuple[int, str]:
    """Where a municipality's chain starts: index 0 after GENESIS, or, once a retention purge has
    removed its oldest prefix, the first index kept and the hash of the last record removed, as
    the newest purge's audit entry says (decision 0018, "Retention purge")."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    from people.models import Municipality

    entry = (
        ModelLogEntry.objects.using(using)
        .filter(
            content_type=ContentType.objects.db_manager(using).get_for_model(Municipality),
            object_id=str(municipality_id),
            action=PURGE_ACTION,
        )
        .order_by("-data__first_index", "-pk")
        .values_list("data", flat=True)
        .first()
    )
    if entry is None:
        return 0, GENESIS
    return int(entry["first_index"]), str(entry["previous_hash"])


@dataclass(frozen=True)
class Break:
    municipality_id: int
    record_id: int | None
    chain_index: int
    reason: str


def verify(queryset, *, start: tuple[int, str] = (0, GENESIS)) -> tuple[int, Break | None, str]:
    """Walk one municipality's records in chain order: the number of records checked, the first
    broken link (None when the chain holds) and the hash of the last good record (the head).
    `start` is where the chain begins: (0, GENESIS), or after a purge `start_of`'s answer."""
    (expected_index, expected_previous), checked = start, 0
    for record in queryset.order_by("chain_index").iterator(chunk_size=2000):
        if record.chain_index != expected_index:
            return (
                checked,
                Break(
                    record.municipality_id,
                    record.id,
                    expected_index,
                    f"record with chain index {expected_index} is missing (next is {record.chain_index})",
                ),
                expected_previous,
            )
        if record.previous_hash != expected_previous:
            return (
                checked,
                Break(
                    record.municipality_id,
                    record.id,
                    record.chain_index,
                    "previous_hash does not match the record before",
                ),
                expected_previous,
            )
        if record_digest(record) != record.record_hash:
            return (
                checked,
                Break(record.municipality_id, record.id, record.chain_index, "content does not match its record_hash"),
                expected_previous,
            )
        checked += 1
        expected_index, expected_previous = record.chain_index + 1, record.record_hash
    return checked, None, expected_previous
