"""The database side of grading an attempt (services.attempt_submit): lock and read what grading
needs, then write the result. The grading itself, in between, is plain Python in services.

Two implementations with one contract, chosen per connection:

- PostgreSQL, the production database: grading is the busiest write of the site (a whole
  department submits at the end of a briefing), so it is two statements. One reads the attempt,
  its items, their questions and the correct choices, locking the person's row and the attempt's;
  one writes the answers, the attempt, the clause progress and the audit entry together, with
  data-modifying CTEs. Decision 0016 has the measurements.
- Any other database (SQLite in development): the same reads and writes through the ORM.

Both run in the caller's transaction. Tests run the grading cases through both on PostgreSQL
(tests/quizzes/conftest.py `grading_path`).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from wagtail.models import ModelLogEntry

from people.models import StaffMember

from .models import AttemptItem, Choice, ClauseProgress, QuizAttempt, ScenarioQuestion

GRADED_ACTION = "quizzes.attempt_graded"
# Tests set this to run the portable implementation on PostgreSQL too.
portable_only = False


@dataclass(frozen=True)
class Item:
    """One drawn question of the attempt, as grading needs it."""

    pk: int
    position: int
    clause_key: str
    question_id: int
    question_version: int | None
    choice_order: list[int]
    kind: str
    live: bool
    live_revision_id: int | None
    correct_ids: frozenset[int]

    @property
    def still_live(self) -> bool:
        """The question is still published in the version drawn."""
        return self.live and self.live_revision_id == self.question_version


@dataclass(frozen=True)
class Answer:
    item: Item
    selected: tuple[int, ...]

    @property
    def is_correct(self) -> bool:
        return set(self.selected) == self.item.correct_ids


def _postgresql() -> bool:
    return connection.vendor == "postgresql" and not portable_only


def lock_and_read(*, attempt_id: int, staff_id: int) -> tuple[QuizAttempt, list[Item]]:
    """The person's attempt and its items in position order, with the person's row and the
    attempt's locked until the transaction ends: a concurrent submit of the same attempt waits and
    then finds it graded, and one person's quiz writes follow one another (attempt_start and
    attestation_create lock the same person row). QuizAttempt.DoesNotExist when the attempt is not
    this person's."""
    if _postgresql():
        return _lock_and_read_postgresql(attempt_id, staff_id)
    return _lock_and_read_orm(attempt_id, staff_id)


def write(*, attempt: QuizAttempt, answers: list[Answer], user, year: int, now) -> QuizAttempt:
    """Store every answer, mark the attempt graded, record each clause's progress for the 年度
    (a clause once mastered stays mastered; `first_attempt_missed` is set by its first answer only)
    and the audit entry. Returns the graded attempt."""
    correct = sum(answer.is_correct for answer in answers)
    attempt.state = QuizAttempt.State.GRADED
    attempt.submitted_at = now
    attempt.correct_count = correct
    attempt.question_count = len(answers)
    entry = ModelLogEntry(
        content_type=ContentType.objects.get_for_model(QuizAttempt),
        object_id=str(attempt.pk),
        label=str(attempt),
        action=GRADED_ACTION,
        timestamp=now,
        user=user,
        data={"chapter": attempt.chapter_id, "correct": correct, "questions": len(answers)},
    )
    if _postgresql():
        return _write_postgresql(attempt, answers, entry, year)
    _write_orm(attempt, answers, entry, year)
    return attempt


# PostgreSQL --------------------------------------------------------------------------------------

# What grading reads of the attempt, in the model's field order (Model.from_db expects it).
_ATTEMPT_FIELDS = [
    f.attname
    for f in QuizAttempt._meta.concrete_fields
    if f.attname in {"id", "staff_id", "guideline_id", "chapter_id", "state"}
]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _read_sql() -> str:
    # Only model table and column names are formatted in; every value is a parameter.
    return (
        f"SELECT {', '.join(f'attempt.{name}' for name in _ATTEMPT_FIELDS)}, "  # noqa: S608
        "item.id, item.position, item.clause_key, item.question_id, item.question_version, item.choice_order, "
        "question.kind, question.live, question.live_revision_id, "
        f"ARRAY(SELECT choice.id FROM {_table(Choice)} AS choice "
        "WHERE choice.question_id = item.question_id AND choice.is_correct) "
        f"FROM {_table(QuizAttempt)} AS attempt "
        f"JOIN {_table(StaffMember)} AS staff ON staff.id = attempt.staff_id "
        f"LEFT JOIN {_table(AttemptItem)} AS item ON item.attempt_id = attempt.id "
        f"LEFT JOIN {_table(ScenarioQuestion)} AS question ON question.id = item.question_id "
        "WHERE attempt.id = %s AND attempt.staff_id = %s "
        "ORDER BY item.position "
        "FOR UPDATE OF attempt, staff"
    )


def _lock_and_read_postgresql(attempt_id: int, staff_id: int) -> tuple[QuizAttempt, list[Item]]:
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(), [attempt_id, staff_id])
        rows = cursor.fetchall()
    if not rows:
        raise QuizAttempt.DoesNotExist
    attempt = QuizAttempt.from_db(connection.alias, _ATTEMPT_FIELDS, rows[0][:5])
    items = [
        Item(
            pk=row[5],
            position=row[6],
            clause_key=row[7],
            question_id=row[8],
            question_version=row[9],
            # Django reads jsonb as text and decodes it in JSONField, so here too.
            choice_order=json.loads(row[10]),
            kind=row[11],
            live=row[12],
            live_revision_id=row[13],
            correct_ids=frozenset(row[14]),
        )
        for row in rows
        if row[5] is not None
    ]
    return attempt, items


@functools.cache
def _write_sql() -> str:
    """One statement, the same text for any number of answers: the answers come as arrays, so
    psycopg converts the query once per process and PostgreSQL parses a statement it has seen."""
    columns = ", ".join(field.column for field in QuizAttempt._meta.concrete_fields)
    # Only model table and column names are formatted in; every value is a parameter.
    return (
        "WITH answer AS (SELECT * FROM unnest(%s::bigint[], %s::jsonb[], %s::boolean[], %s::text[]) "  # noqa: S608
        "AS answer (id, selected, is_correct, clause_key)), "
        f"item AS (UPDATE {_table(AttemptItem)} AS item "
        "SET selected = answer.selected, is_correct = answer.is_correct "
        "FROM answer WHERE item.id = answer.id), "
        f"progress AS (INSERT INTO {_table(ClauseProgress)} AS progress "
        "(staff_id, guideline_id, fiscal_year, clause_key, state, first_attempt_missed, updated_at) "
        # One row per clause: a clause asked twice (last 年度's miss, decision 0019) is right only
        # when every item on it is.
        "SELECT %s, %s, %s, answer.clause_key, CASE WHEN bool_and(answer.is_correct) THEN %s ELSE %s END, "
        "NOT bool_and(answer.is_correct), %s FROM answer GROUP BY answer.clause_key "
        "ON CONFLICT (staff_id, guideline_id, fiscal_year, clause_key) DO UPDATE "
        "SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at WHERE progress.state <> %s), "
        f"entry AS (INSERT INTO {_table(ModelLogEntry)} "
        "(content_type_id, object_id, label, action, data, timestamp, user_id, content_changed, deleted) "
        "VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, false, false)) "
        f"UPDATE {_table(QuizAttempt)} "
        "SET state = %s, submitted_at = %s, correct_count = %s, question_count = %s WHERE id = %s "
        f"RETURNING {columns}"
    )


def _write_postgresql(attempt: QuizAttempt, answers: list[Answer], entry: ModelLogEntry, year: int) -> QuizAttempt:
    mastered, missed = ClauseProgress.State.MASTERED, ClauseProgress.State.MISSED
    params = [
        [answer.item.pk for answer in answers],
        [json.dumps(list(answer.selected)) for answer in answers],
        [answer.is_correct for answer in answers],
        [answer.item.clause_key for answer in answers],
        attempt.staff_id,
        attempt.guideline_id,
        year,
        mastered,
        missed,
        attempt.submitted_at,
        mastered,
        entry.content_type_id,
        entry.object_id,
        entry.label,
        entry.action,
        json.dumps(entry.data),
        entry.timestamp,
        entry.user_id,
        attempt.state,
        attempt.submitted_at,
        attempt.correct_count,
        attempt.question_count,
        attempt.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_write_sql(), params)
        row = cursor.fetchone()
    return QuizAttempt.from_db(connection.alias, [f.attname for f in QuizAttempt._meta.concrete_fields], row)


# Portable (ORM) ----------------------------------------------------------------------------------


def _lock_and_read_orm(attempt_id: int, staff_id: int) -> tuple[QuizAttempt, list[Item]]:
    attempt = (
        QuizAttempt.objects.select_related("staff")
        .select_for_update(of=("self", "staff"))
        .only(*_ATTEMPT_FIELDS, "staff__id")
        .get(pk=attempt_id, staff_id=staff_id)
    )
    rows = list(AttemptItem.objects.filter(attempt_id=attempt.pk).select_related("question").order_by("position"))
    correct: dict[int, set[int]] = defaultdict(set)
    for question_id, choice_id in Choice.objects.filter(
        question_id__in={row.question_id for row in rows}, is_correct=True
    ).values_list("question_id", "pk"):
        correct[question_id].add(choice_id)
    items = [
        Item(
            pk=row.pk,
            position=row.position,
            clause_key=row.clause_key,
            question_id=row.question_id,
            question_version=row.question_version,
            choice_order=row.choice_order,
            kind=row.question.kind,
            live=row.question.live,
            live_revision_id=row.question.live_revision_id,
            correct_ids=frozenset(correct[row.question_id]),
        )
        for row in rows
    ]
    return attempt, items


def _write_orm(attempt: QuizAttempt, answers: list[Answer], entry: ModelLogEntry, year: int) -> None:
    AttemptItem.objects.bulk_update(
        [AttemptItem(pk=a.item.pk, selected=list(a.selected), is_correct=a.is_correct) for a in answers],
        ["selected", "is_correct"],
    )
    attempt.save(update_fields=["state", "submitted_at", "correct_count", "question_count"])
    mastered, missed = ClauseProgress.State.MASTERED, ClauseProgress.State.MISSED
    existing = {
        p.clause_key: p
        for p in ClauseProgress.objects.of_year(year)
        .filter(
            staff_id=attempt.staff_id,
            guideline_id=attempt.guideline_id,
            clause_key__in=[a.item.clause_key for a in answers],
        )
        .only("pk", "clause_key", "state")
    }
    # One verdict per clause: a clause asked twice (last 年度's miss, decision 0019) is right only
    # when every item on it is.
    right: dict[str, bool] = {}
    for answer in answers:
        right[answer.item.clause_key] = right.get(answer.item.clause_key, True) and answer.is_correct
    to_create, to_update = [], []
    for clause_key, is_correct in right.items():
        progress = existing.get(clause_key)
        state = mastered if is_correct else missed
        if progress is None:
            to_create.append(
                ClauseProgress(
                    staff_id=attempt.staff_id,
                    guideline_id=attempt.guideline_id,
                    fiscal_year=year,
                    clause_key=clause_key,
                    state=state,
                    first_attempt_missed=not is_correct,
                    updated_at=attempt.submitted_at,
                )
            )
        elif progress.state != mastered:
            progress.state = state
            progress.updated_at = attempt.submitted_at
            to_update.append(progress)
    ClauseProgress.objects.bulk_create(to_create)
    ClauseProgress.objects.bulk_update(to_update, ["state", "updated_at"])
    # Without BaseLogEntry.save()'s full_clean, whose checks cost two queries per submit: the
    # action is registered (tests/quizzes/test_services.py) and the content type and user are at hand.
    ModelLogEntry.objects.bulk_create([entry])
