"""Report reads from a real PostgreSQL streaming replica (decision 0036, issue 13).

A primary and a hot standby of our own are started on free ports (bench/pgcluster.py: initdb,
`pg_basebackup -R`); the test database is copied to the primary with pg_dump, the test's `default`
connection is pointed at that primary and a `replica` alias at the standby, with the router of
DATABASE_REPLICA_URL installed. Replay on the standby is paused to tell the two apart: a report or
export then shows what the replica holds, not what the primary has just been given, while the
log-in of a user created on the primary after the pause still works (sessions and auth stay on
the primary). Writes on the replica are refused by PostgreSQL itself."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from bench import pgcluster
from people.models import StaffMember
from sns_training import db_router
from tests.factories import GuidelinePageFactory, MunicipalityFactory, StaffMemberFactory, department_tree
from tests.quizzes.test_concurrency import _wagtail_seed_ensure

from .conftest import export_url, make_record, streamed

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: run with DATABASE_URL"),
    pytest.mark.skipif(not pgcluster.available(), reason="needs /usr/lib/postgresql/15/bin and root or postgres"),
]


@pytest.fixture(scope="module")
def clusters():
    with pgcluster.primary_and_replica() as pair:
        yield pair


def _url(settings_dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    return f"postgres://{user}@{host}:{settings_dict.get('PORT') or 5432}/{settings_dict['NAME']}"


@pytest.fixture
def on_replica(clusters, settings):
    """`default` → our primary (a copy of the migrated test database), `replica` → its standby."""
    primary, replica = clusters
    dump = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-acl", _url(connection.settings_dict)],
        check=True,
        capture_output=True,
    ).stdout
    primary.psql("DROP DATABASE IF EXISTS sns WITH (FORCE)")
    primary.psql("CREATE DATABASE sns")
    subprocess.run(
        ["pg_restore", "--exit-on-error", "--no-owner", "--no-acl", "--dbname", primary.url("sns")],
        input=dump,
        check=True,
        capture_output=True,
    )
    # The flush after each transactional test needs the hatch in its TRUNCATE; here nothing is
    # flushed on the primary: the database is dropped and copied afresh for each test.
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(primary.port), NAME="sns", USER="postgres")
    connections.settings[db_router.REPLICA] = {**connection.settings_dict, "PORT": str(replica.port)}
    # Connected here: the test case allows only the aliases it knew at its start to connect lazily.
    connections[db_router.REPLICA].connect()
    settings.DATABASE_ROUTERS = ["sns_training.db_router.ReplicaRouter"]
    pgcluster.wait_for_replay(primary, replica)
    try:
        yield primary, replica
    finally:
        replica.psql("SELECT pg_wal_replay_resume()")
        connections[db_router.REPLICA].close()
        del connections[db_router.REPLICA]
        del connections.settings[db_router.REPLICA]
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _numbers(response) -> set[str]:
    rows = list(csv.reader(io.StringIO(streamed(response).decode("utf-8-sig"), newline="")))
    return {row[0] for row in rows[1:]}


@pytest.mark.django_db(transaction=True)
def test_reports_and_exports_are_read_from_the_replica_and_auth_from_the_primary(client, on_replica):
    primary, replica = on_replica
    _wagtail_seed_ensure()
    ashiya, sukagawa = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    tree = department_tree(ashiya, sukagawa)
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-replica")
    for number in ("00123", "00124"):
        make_record(StaffMemberFactory(municipality=ashiya, department=tree["koho"], staff_number=number), guideline)
    pgcluster.wait_for_replay(primary, replica)
    assert replica.psql("SELECT count(*) FROM quizzes_completionrecord", "sns") == "2"

    # Replay stopped: from now on the primary knows more than the replica.
    replica.psql("SELECT pg_wal_replay_pause()")
    late = StaffMemberFactory(municipality=ashiya, department=tree["koho"], staff_number="00999")
    make_record(late, guideline)
    # An HR officer appointed after the pause: the replica has never heard of them.
    hr = StaffMemberFactory(
        municipality=ashiya, department=tree["jinji"], staff_number="00300", role=StaffMember.Role.HR
    )
    assert replica.psql(f"SELECT count(*) FROM people_user WHERE id = {hr.user_id}", "sns") == "0"
    client.force_login(hr.user)  # the session is written to the primary

    with CaptureQueriesContext(connections[db_router.REPLICA]) as on_standby:
        page = client.get(export_url(fiscal_year=2025))
        download = client.get(export_url(export="csv", fiscal_year=2025))
        numbers = _numbers(download)
    # The user, their session and the permissions came from the primary (the replica lacks them),
    # the report and its download from the replica (it lacks the late record).
    assert page.status_code == 200 and download.status_code == 200
    assert numbers == {"00123", "00124"}
    assert "00999" not in page.content.decode()
    read = " ".join(query["sql"] for query in on_standby.captured_queries)
    assert "quizzes_completionrecord" in read
    assert 'FROM "people_user"' not in read and "django_session" not in read
    # The audit entries of the view and the export were written to the primary.
    assert ModelLogEntry.objects.filter(action__in=["reports.viewed", "reports.exported"]).count() == 2

    # A page of the area that is not a report (the chain verification) reads the primary only.
    with CaptureQueriesContext(connections[db_router.REPLICA]) as on_standby:
        assert client.get(reverse("reports_admin:verify")).status_code == 200
    assert on_standby.captured_queries == []

    # PostgreSQL refuses writes on the replica, whatever the application would try.
    with pytest.raises(DatabaseError, match="read-only transaction"):
        with connections[db_router.REPLICA].cursor() as cursor:
            cursor.execute("DELETE FROM django_session")

    # Replay resumed: the late record reaches the replica and the report.
    replica.psql("SELECT pg_wal_replay_resume()")
    lag = pgcluster.wait_for_replay(primary, replica)
    assert _numbers(client.get(export_url(export="csv", fiscal_year=2025))) == {"00123", "00124", "00999"}
    assert lag < 5


def test_without_a_replica_every_read_goes_to_the_primary():
    router = db_router.ReplicaRouter()
    assert db_router.REPLICA not in connections.settings
    with db_router.replica_reads():
        assert router.db_for_read(StaffMember) == "default"
    assert router.allow_migrate("default", "quizzes") and not router.allow_migrate("replica", "quizzes")
