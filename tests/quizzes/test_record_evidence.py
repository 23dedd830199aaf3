"""Completion records are tamper-evident (decision 0018): PostgreSQL refuses raw UPDATE, DELETE and
TRUNCATE on them, each municipality's records form a hash chain that `manage.py verify_records`
proves, and concurrent completions extend one chain, never fork it."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from courses import versions
from quizzes import chain, services
from quizzes.models import CompletionRecord
from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    MunicipalityFactory,
    QuestionFactory,
    StaffMemberFactory,
)
from tests.reports.conftest import make_record

from .conftest import submission
from .test_concurrency import _wagtail_seed_ensure

TABLE = CompletionRecord._meta.db_table
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only; run with DATABASE_URL"
)


def _records(municipality, guideline, count):
    department = DepartmentFactory(municipality=municipality)
    return [
        make_record(StaffMemberFactory(municipality=municipality, department=department), guideline)
        for _ in range(count)
    ]


def _verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("verify_records", stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def _tamper(sql, params):
    """What an attacker with the superuser's powers does: the trigger off, the change, the trigger on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: ALTER TABLE may run
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


@pytest.fixture
def guideline(ashiya):
    return GuidelinePageFactory(municipality=ashiya, slug="ashiya-evidence")


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET staff_name = '書き換え' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
        f"TRUNCATE {TABLE} CASCADE",
    ],
    ids=["update", "delete", "truncate"],
)
def test_raw_sql_cannot_change_or_remove_a_record(ashiya, guideline, sql):
    (record,) = _records(ashiya, guideline, 1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as if the insert was committed before
    with pytest.raises(DatabaseError, match="completion records are evidence"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [record.pk] if "%s" in sql else [])
    assert CompletionRecord.objects.get(pk=record.pk).staff_name == record.staff_name


@needs_postgresql
@pytest.mark.django_db
def test_an_explicit_purge_may_delete_but_never_update(ashiya, guideline):
    first, second = _records(ashiya, guideline, 2)
    with pytest.raises(DatabaseError, match="UPDATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL sns.allow_purge = on")
            cursor.execute(f"UPDATE {TABLE} SET staff_name = 'x' WHERE id = %s", [first.pk])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL sns.allow_purge = on")
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [first.pk])
    assert list(CompletionRecord.objects.values_list("pk", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_records_are_chained_per_municipality_and_verify(ashiya, sukagawa, guideline):
    ashiya_records = _records(ashiya, guideline, 3)
    other = GuidelinePageFactory(municipality=sukagawa, slug="sukagawa-evidence")
    sukagawa_records = _records(sukagawa, other, 2)

    assert [r.chain_index for r in ashiya_records] == [0, 1, 2]
    assert [r.chain_index for r in sukagawa_records] == [0, 1]
    assert ashiya_records[0].previous_hash == chain.GENESIS == sukagawa_records[0].previous_hash
    assert ashiya_records[2].previous_hash == ashiya_records[1].record_hash
    ok, output = _verify()
    assert ok, output
    assert f"{ashiya.code} {ashiya.name}: 3 records, chain intact" in output
    assert f"{sukagawa.code} {sukagawa.name}: 2 records, chain intact" in output


@pytest.mark.django_db
def test_verify_records_reports_the_first_edited_record(ashiya, guideline):
    records = _records(ashiya, guideline, 4)
    _tamper(f"UPDATE {TABLE} SET staff_name = '書き換え' WHERE id IN (%s, %s)", [records[1].pk, records[3].pk])

    ok, output = _verify()
    assert not ok
    assert (
        f"BROKEN after 1 good records: first broken link at chain index 1 (record id {records[1].pk}): "
        "content does not match its record_hash" in output
    )
    assert "chain broken in 1 municipality" in output


@pytest.mark.django_db
def test_verify_records_reports_a_removed_record(ashiya, guideline):
    records = _records(ashiya, guideline, 3)
    _tamper(f"DELETE FROM {TABLE} WHERE id = %s", [records[1].pk])

    ok, output = _verify()
    assert not ok
    assert "first broken link at chain index 1 (record id" in output
    assert "record with chain index 1 is missing (next is 2)" in output


@pytest.mark.django_db
def test_a_record_rewritten_with_its_own_hash_breaks_the_next_link(ashiya, guideline):
    records = _records(ashiya, guideline, 3)
    forged = CompletionRecord.objects.get(pk=records[1].pk)
    forged.staff_name = "書き換え"
    _tamper(
        f"UPDATE {TABLE} SET staff_name = %s, record_hash = %s WHERE id = %s",
        [forged.staff_name, chain.record_digest(forged), forged.pk],
    )

    ok, output = _verify()
    assert not ok
    assert (
        f"first broken link at chain index 2 (record id {records[2].pk}): "
        "previous_hash does not match the record before" in output
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_extend_one_chain():
    """Eight people of one city attest at the same moment: eight records, indices 0-7, each
    linked to the one before, and the flush after this test may still empty the table."""
    _wagtail_seed_ensure()
    ashiya = MunicipalityFactory.ashiya()
    department = DepartmentFactory(municipality=ashiya)
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-evidence")
    chapter = ChapterPageFactory(parent=guideline, key="3", clause_count=3)
    for key in chapter.clause_keys():
        QuestionFactory(guideline=guideline, clause_key=key)
    people = [StaffMemberFactory(municipality=ashiya, department=department) for _ in range(8)]
    for person in people:
        attempt = services.attempt_start(staff=person, chapter=chapter)
        services.attempt_submit(
            attempt_id=attempt.pk, user=person.user, submission=submission(attempt, right_keys={"3-1", "3-2", "3-3"})
        )

    barrier = threading.Barrier(len(people))
    outcomes: list = []
    lock = threading.Lock()

    def attest(person):
        try:
            barrier.wait(timeout=30)
            services.attestation_create(
                staff=person, guideline=guideline, version_shown=versions.current(guideline).label, agreed=True
            )
            outcome = "recorded"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attest, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes == ["recorded"] * len(people)
    assert sorted(CompletionRecord.objects.values_list("chain_index", flat=True)) == list(range(len(people)))
    ok, output = _verify()
    assert ok, output
    assert f"{ashiya.code} {ashiya.name}: {len(people)} records, chain intact" in output


def _grant_app_role_sql(role: str) -> list[str]:
    """The statements of scripts/grant-app-role.sql for `role`, as psql would run them."""
    from django.conf import settings

    text = (settings.BASE_DIR / "scripts" / "grant-app-role.sql").read_text()
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith(("--", "\\"))]
    return [
        statement.strip().replace(':"app_role"', f'"{role}"')
        for statement in " ".join(lines).split(";")
        if statement.strip()
    ]


@needs_postgresql
@pytest.mark.django_db
def test_the_application_role_writes_records_but_cannot_remove_one_even_with_the_hatch(ashiya, guideline):
    (record,) = _records(ashiya, guideline, 1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("CREATE ROLE sns_test_app NOLOGIN")  # rolled back with the test
        for statement in _grant_app_role_sql("sns_test_app"):
            cursor.execute(statement)
        cursor.execute("SET ROLE sns_test_app")
    try:
        # The application's everyday write: a new record, linked to the last one.
        (written,) = _records(ashiya, guideline, 1)
        assert written.previous_hash == record.record_hash
        for sql in (
            f"DELETE FROM {TABLE} WHERE id = %s",
            f"UPDATE {TABLE} SET staff_name = 'x' WHERE id = %s",
            f"TRUNCATE {TABLE} CASCADE",
        ):
            with pytest.raises(DatabaseError, match="permission denied"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL sns.allow_purge = on")
                    cursor.execute(sql, [record.pk] if "%s" in sql else [])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert CompletionRecord.objects.filter(municipality=ashiya).count() == 2


@pytest.mark.django_db(transaction=True)
def test_records_written_before_the_chain_are_chained_by_the_migration():
    """Records of two cities written before migration 0006 come out of `migrate` chained per city
    in attestation order, and verify_records proves them."""
    import datetime

    from django.db.migrations.executor import MigrationExecutor

    before = [("quizzes", "0005_clause_progress_per_fiscal_year")]
    _wagtail_seed_ensure()
    ashiya, sukagawa = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    people = [
        StaffMemberFactory(municipality=place, department=DepartmentFactory(municipality=place))
        for place in (ashiya, sukagawa, ashiya)
    ]
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-evidence")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        Old = executor.loader.project_state(before).apps.get_model("quizzes", "CompletionRecord")
        start = datetime.datetime(2025, 6, 2, 1, 0, tzinfo=datetime.UTC)
        for n, person in enumerate(people):
            Old.objects.create(
                staff_id=person.pk,
                guideline_id=guideline.pk,
                fiscal_year=2025,
                municipality_name=person.municipality.name,
                staff_number=person.staff_number,
                staff_name=person.name,
                department_code="1000",
                department_name="総務課",
                employment_type="regular",
                employment_type_label="一般職",
                guideline_title=guideline.title,
                guideline_version="第1版",
                content_hash="ab" * 32,
                clauses_mastered=3,
                clauses_total=3,
                first_try_correct=3,
                first_try_total=3,
                completed_at=start,
                attested_at=start + datetime.timedelta(hours=2 - n),  # the last person attested first
                verification_code=f"OLD{n:09d}",
            )
    finally:
        # Forward to every app's latest migration, not just the chain's: going back to 0005 also
        # unapplied the migrations that came after it on other branches (the item bank's fields).
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    chained = {
        record.staff_id: (record.municipality_id, record.chain_index) for record in CompletionRecord.objects.all()
    }
    assert chained == {people[2].pk: (ashiya.pk, 0), people[0].pk: (ashiya.pk, 1), people[1].pk: (sukagawa.pk, 0)}
    ok, output = _verify()
    assert ok, output
    assert f"{ashiya.code} {ashiya.name}: 2 records, chain intact" in output
