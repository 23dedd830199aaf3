"""Evidence drill (issue 13, decision 0018): on a PostgreSQL cluster of its own, with two cities'
chained completion records, proves and measures

1. the documented application role (scripts/grant-app-role.sql) cannot UPDATE, DELETE or
   TRUNCATE a completion record, even after `SET LOCAL sns.allow_purge = on`, while it can
   insert; the owner is stopped by the trigger (UPDATE even with the hatch);
2. scripts/restore-drill.sh: dump, restore into a scratch database, verify_records, exact counts;
3. a row rewritten behind the trigger's back (superuser, trigger disabled) is reported by
   `manage.py verify_records` at the first broken link (its chain index and id), exit 1.

    .venv/bin/python bench/evidence_drill.py [--staff 100 --years 10] [--schema-from postgres://...]

Prints the figures; exits 1 if any expectation fails. The shared cluster on 5432 is only read
(with --schema-from); the drill's own cluster is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import drill_db, pgcluster  # noqa: E402

TABLE = "quizzes_completionrecord"
APP_ROLE = "sns_app"
failures: list[str] = []


def check(ok: bool, label: str) -> None:
    print(f"    [{'PASS' if ok else 'FAIL'}] {label}")
    if not ok:
        failures.append(label)


def attempt(url: str, statements: list[str]) -> str:
    """Run the statements in one transaction; 'ok' or the error PostgreSQL gave (SQLSTATE + text)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        try:
            with conn.transaction(), conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        except psycopg.Error as exc:
            return f"{exc.sqlstate} {str(exc).splitlines()[0]}"
    return "ok"


def verify(url: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_records"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sns_training.settings.dev"},
        capture_output=True,
        text=True,
    )
    return result.returncode, (result.stdout + result.stderr).strip(), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=100, help="people per city (default 100)")
    parser.add_argument("--years", type=int, default=10, help="年度 of records per person (default 10)")
    parser.add_argument("--schema-from", help="a migrated database to copy the schema from (pg_dump)")
    args = parser.parse_args()

    with pgcluster.primary_only() as cluster:
        print(f"==> own PostgreSQL cluster on 127.0.0.1:{cluster.port} ({cluster.directory})")
        url = drill_db.load_schema(cluster, schema_from=args.schema_from)
        drill_db.django_setup(url)
        started = time.monotonic()
        made = drill_db.seed(staff_per_city=args.staff, years=args.years)
        print(f"    seeded {made} in {time.monotonic() - started:.1f} s")
        total = int(cluster.psql(f"SELECT count(*) FROM {TABLE}", "sns"))

        print(f"==> 1. the application role {APP_ROLE} (scripts/grant-app-role.sql) against the records")
        cluster.psql(f"CREATE ROLE {APP_ROLE} LOGIN")
        subprocess.run(
            ["psql", "-X", "-q", url, "-v", f"app_role={APP_ROLE}", "-f", str(ROOT / "scripts/grant-app-role.sql")],
            check=True,
            capture_output=True,
        )
        app_url = f"postgres://{APP_ROLE}@127.0.0.1:{cluster.port}/sns"
        first = cluster.psql(f"SELECT id FROM {TABLE} ORDER BY id LIMIT 1", "sns")
        hatch = "SET LOCAL sns.allow_purge = on"
        for name, sql in (
            ("UPDATE", f"UPDATE {TABLE} SET staff_name = 'x' WHERE id = {first}"),
            ("DELETE", f"DELETE FROM {TABLE} WHERE id = {first}"),
            ("TRUNCATE", f"TRUNCATE {TABLE} CASCADE"),
        ):
            for with_hatch in (False, True):
                outcome = attempt(app_url, ([hatch] if with_hatch else []) + [sql])
                label = f"app role {name}{' with the hatch' if with_hatch else ''}: {outcome}"
                check(outcome.startswith("42501") and "permission denied" in outcome, label)
        outcome = attempt(app_url, [f"SELECT count(*) FROM {TABLE}"])
        check(outcome == "ok", f"app role SELECT: {outcome}")
        for name, statements in (
            ("UPDATE", [f"UPDATE {TABLE} SET staff_name = 'x' WHERE id = {first}"]),
            ("DELETE", [f"DELETE FROM {TABLE} WHERE id = {first}"]),
            ("TRUNCATE", [f"TRUNCATE {TABLE} CASCADE"]),
            ("UPDATE with the hatch", [hatch, f"UPDATE {TABLE} SET staff_name = 'x' WHERE id = {first}"]),
        ):
            outcome = attempt(url, statements)
            check("42501" in outcome and "evidence" in outcome, f"owner {name}: trigger says {outcome}")
        after = int(cluster.psql(f"SELECT count(*) FROM {TABLE}", "sns"))
        changed = cluster.psql(f"SELECT count(*) FROM {TABLE} WHERE staff_name = 'x'", "sns")
        check(after == total and changed == "0", f"records after the attempts: {after} of {total}, {changed} changed")
        code, output, took = verify(url)
        check(code == 0, f"verify_records on the intact chains: exit {code} in {took:.2f} s")
        print("      " + output.replace("\n", "\n      "))

        print("==> 2. restore drill (scripts/restore-drill.sh)")
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "scripts/restore-drill.sh"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, "PY": sys.executable},
            capture_output=True,
            text=True,
        )
        took = time.monotonic() - started
        print("      " + (result.stdout + result.stderr).strip().replace("\n", "\n      "))
        restored = re.search(rf"{TABLE} (\d+)", result.stdout)
        check(
            result.returncode == 0 and restored is not None and int(restored.group(1)) == total,
            f"restore drill exit {result.returncode} in {took:.1f} s; records restored "
            f"{restored.group(1) if restored else '?'} of {total}",
        )

        print("==> 3. a record rewritten behind the trigger's back (superuser, trigger disabled)")
        target = cluster.psql(
            f"SELECT id || ' ' || chain_index FROM {TABLE} WHERE municipality_id = "
            f"(SELECT id FROM people_municipality WHERE slug = 'ashiya') ORDER BY chain_index OFFSET 37 LIMIT 1",
            "sns",
        )
        record_id, chain_index = target.split()
        cluster.psql(
            f"BEGIN; ALTER TABLE {TABLE} DISABLE TRIGGER USER; "
            f"UPDATE {TABLE} SET first_try_correct = 8 WHERE id = {record_id}; "
            f"ALTER TABLE {TABLE} ENABLE TRIGGER USER; COMMIT",
            "sns",
        )
        code, output, took = verify(url)
        print("      " + output.replace("\n", "\n      "))
        check(
            code == 1 and f"chain index {chain_index}" in output and record_id in output,
            f"verify_records exit {code} in {took:.2f} s names chain index {chain_index} (record {record_id})",
        )

    print(f"==> evidence drill {'FAILED: ' + '; '.join(failures) if failures else 'passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
