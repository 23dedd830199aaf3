"""The database of a drill (bench/evidence_drill.py, bench/health_drill.py): a PostgreSQL cluster of
the drill's own (bench/pgcluster.py), never the shared one, with the project's schema and a few
thousand chained completion records.

The schema comes from `manage.py migrate` (a couple of minutes on a busy machine) or, with
`--schema-from URL`, from a pg_dump of an already migrated database of this version (its rows
come along; the drill counts whatever is there).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pgcluster  # noqa: E402


def load_schema(cluster: pgcluster.Cluster, *, schema_from: str | None, database: str = "sns") -> str:
    cluster.psql(f'CREATE DATABASE "{database}"')
    url = cluster.url(database)
    started = time.monotonic()
    if schema_from:
        dump = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-acl", schema_from], check=True, capture_output=True
        ).stdout
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", "--no-acl", "--dbname", url],
            input=dump,
            check=True,
            capture_output=True,
        )
        how = f"copied from {schema_from.rsplit('/', 1)[-1]}"
    else:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sns_training.settings.dev"},
            check=True,
        )
        how = "migrated"
    print(f"    schema {how} in {time.monotonic() - started:.1f} s")
    return url


def django_setup(database_url: str, *, settings: str = "sns_training.settings.dev") -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ.pop("DATABASE_REPLICA_URL", None)
    import django

    django.setup()


def seed(*, staff_per_city: int = 100, years: int = 10) -> dict[str, int]:
    """Two cities, each with `staff_per_city` people and one record a person a 年度 for `years`
    年度: records through CompletionRecord.objects.bulk_create, chained as the app chains them."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        return _seed(staff_per_city=staff_per_city, years=years)


def _seed(*, staff_per_city: int, years: int) -> dict[str, int]:
    """seed() with the factories' throw-away passwords hashed cheaply (nobody logs in as them)."""
    from bench.records import completion_record
    from people.models import StaffMember
    from quizzes.models import CompletionRecord
    from tests.factories import GuidelinePageFactory, MunicipalityFactory, StaffMemberFactory, department_tree
    from tests.quizzes.test_concurrency import _wagtail_seed_ensure

    _wagtail_seed_ensure()
    made = {}
    cities = [MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()]
    tree = department_tree(*cities)
    for city, department in zip(cities, (tree["koho"], tree["s_somu"]), strict=True):
        guideline = GuidelinePageFactory(municipality=city, slug=f"{city.slug}-drill")
        people = [
            StaffMemberFactory(municipality=city, department=department, staff_number=f"D{n:05d}")
            for n in range(staff_per_city)
        ]
        people = list(StaffMember.objects.filter(pk__in=[p.pk for p in people]).select_related("department"))
        records = []
        for offset in range(years):
            year = 2025 - offset
            moment = datetime.datetime(year, 6, 2, 10, 0, tzinfo=datetime.UTC)
            records += [
                completion_record(
                    member=member,
                    guideline=guideline,
                    fiscal_year=year,
                    completed_at=moment,
                    attested_at=moment + datetime.timedelta(minutes=5),
                    clauses=8,
                    first_try_correct=7,
                    verification_code=f"{city.slug[:2].upper()}{year}{member.pk:07d}",
                )
                for member in people
            ]
        CompletionRecord.objects.bulk_create(records)
        made[city.name] = len(records)
    return made
