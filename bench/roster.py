"""`make bench`, roster import: the dry run of a 50,000-line roster, saved as Japanese Excel saves
it (CP932, CRLF), against the 50,000-staff sns_bench dataset (bench/data.py). Prints seconds,
lines/s, SQL queries and peak Python memory; target ≤ 15 s. `--commit` also times the commit of
the same file without its bad lines, inside a transaction that is rolled back.

    .venv/bin/python bench/roster.py [--lines 50000] [--commit]
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # run as a script, Python puts bench/ first on sys.path
os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("BENCH_SETTINGS", "bench.settings")

TARGET_SECONDS = 15.0
BAD_LINES = 50
LABELS = {
    "regular": "一般職",
    "special": "特別職",
    "reappointed": "再任用職員",
    "fiscal_year": "会計年度任用職員",
    "contractor": "委託事業者",
    "designated_manager": "指定管理者",
}


def memberships_ensure() -> int:
    """One open department-history row per active person, as migration 0004 backfills: bench/data.py
    bulk-creates staff after migrating, so a fresh sns_bench has none. Returns the rows added."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO people_departmentmembership (staff_id, department_id, valid_from, valid_to)
            SELECT s.id, s.department_id, s.start_date, NULL
            FROM people_staffmember s
            WHERE s.is_active
              AND NOT EXISTS (
                SELECT 1 FROM people_departmentmembership m WHERE m.staff_id = s.id AND m.valid_to IS NULL
              )
            """
        )
        return cursor.rowcount


def roster_build(municipality, *, lines: int, bad: int, seed: int = 2026) -> tuple[bytes, dict[str, int]]:
    """Every staff member of the municipality as HR's system would export them, with realistic
    changes, plus new hires up to `lines`, `bad` of which are wrong in one way each."""
    from people.models import Department, StaffMember

    rng = random.Random(seed)
    codes = dict(Department.objects.filter(municipality=municipality).values_list("pk", "code"))
    leaves = sorted(Department.objects.filter(municipality=municipality, depth=3).values_list("code", flat=True))
    staff = list(
        StaffMember.objects.filter(municipality=municipality)
        .order_by("staff_number")
        .values_list(
            "staff_number", "name", "kana", "department_id", "employment_type", "start_date", "is_active", "role"
        )
    )
    intent = dict.fromkeys(["unchanged", "transfer", "update", "deactivate", "reactivate", "create", "bad"], 0)
    rows = ["職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職"]
    for number, name, kana, department_id, employment, start, active, role in staff:
        code = codes[department_id]
        roll = rng.random()
        if active and roll < 0.04 and role == "employee":
            code = rng.choice([c for c in rng.sample(leaves, 2) if c != code])
            intent["transfer"] += 1
        elif active and roll < 0.06:
            kana = kana + "ー"
            intent["update"] += 1
        elif active and roll < 0.07 and role != "hr":
            active = False
            intent["deactivate"] += 1
        elif not active and roll < 0.3:
            active = True
            intent["reactivate"] += 1
        else:
            intent["unchanged"] += 1
        date = start.strftime("%Y/%m/%d") if roll < 0.5 else start.isoformat()
        rows.append(f"{number},{name},{kana},{code},{LABELS[employment]},{date},,{1 if active else 0}")
    new = lines - len(staff)
    for i in range(new):
        number = f"{900001 + i}"
        email = f"new{number}@bench.example.jp" if i % 2 else ""
        start = datetime.date(2026, 4, 1).isoformat()
        code = rng.choice(leaves)
        if i < bad:
            intent["bad"] += 1
            kind = i % 5
            if kind == 0:
                code = "9999-99"  # unknown 所属コード
            elif kind == 1:
                start = "2026-02-30"  # not a date
            elif kind == 2:
                number = "100001"  # 職員番号 twice (also an existing person's line)
            elif kind == 3:
                rows.append(f"{number},欠損 太郎,ケッソン")  # missing columns
                continue
            else:
                email = "not-an-address"
        else:
            intent["create"] += 1
        rows.append(f"{number},新規 職員{i},シンキ ショクイン,{code},会計年度任用職員,{start},{email},1")
    content = ("\r\n".join(rows) + "\r\n").encode("cp932")
    return content, intent


def dry_run(municipality, content: bytes):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from people import roster

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        plan = roster.staff_plan(municipality=municipality, content=content)
        planned = time.perf_counter()
        summary = plan.summary()
        done = time.perf_counter()
    return plan, summary, {"plan": planned - started, "summary": done - planned, "total": done - started}, len(queries)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--commit", action="store_true", help="also time the commit (rolled back)")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import transaction

    from bench import data as bench_data
    from people import services
    from people.models import Municipality, StaffMember, User

    created = bench_data.database_ensure(os.environ["DATABASE_URL"])
    print(f"database sns_bench: {'created' if created else 'exists'}")
    bench_data.prepare()
    added = memberships_ensure()
    if added:
        print(f"department history: {added} open rows added for staff generated without them")

    municipality = Municipality.objects.order_by("code").first()
    started = time.perf_counter()
    content, intent = roster_build(municipality, lines=args.lines, bad=BAD_LINES)
    print(
        f"roster: {municipality.name}, {args.lines:,} lines, {len(content) / 1024 / 1024:.1f} MB CP932 "
        f"(built in {time.perf_counter() - started:.1f} s); intended: "
        + ", ".join(f"{k} {v:,}" for k, v in intent.items())
    )

    plan, summary, seconds, queries = dry_run(municipality, content)
    counts = ", ".join(f"{k} {v:,}" for k, v in summary["counts"].items())
    print(f"dry run: {counts}, errors {summary['error_count']:,}, absent {summary['absent']['count']:,}")
    # Every intended change found, every bad line reported (a 職員番号 twice marks both lines).
    expected = {k: v for k, v in intent.items() if k not in ("unchanged", "bad")}
    found = {k: summary["counts"][k] for k in expected}
    # Lines with i % 5 == 2 repeat 100001, so that existing person's own line is an error too.
    expected_errors = intent["bad"] + (1 if BAD_LINES > 2 else 0)
    wrong = found != expected or summary["error_count"] != expected_errors
    if wrong:
        print(f"WRONG: expected {expected} and {expected_errors} errors, found {found}, {summary['error_count']}")
    tracemalloc.start()
    dry_run(municipality, content)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    verdict = "PASS" if seconds["total"] <= TARGET_SECONDS else "FAIL"
    print(
        f"dry run of {plan.line_count:,} lines: {seconds['total']:.2f} s (plan {seconds['plan']:.2f} s, "
        f"summary {seconds['summary']:.2f} s), {plan.line_count / seconds['total']:,.0f} lines/s, "
        f"{queries} SQL queries, peak Python memory {peak / 1024 / 1024:.0f} MB (tracemalloc, a second run) "
        f"— target ≤ {TARGET_SECONDS:.0f} s: {verdict}"
    )
    if verdict == "FAIL":
        print("(a miss of the time target is reported, not an error: compare figures from a quiet machine)")

    if args.commit:
        bad_lines = {e.line for e in plan.errors}
        good = b"\r\n".join(
            line for number, line in enumerate(content.split(b"\r\n"), start=1) if number not in bad_lines
        )
        user = User.objects.filter(staff_profile__municipality=municipality, staff_profile__role="hr").first()
        before = StaffMember.objects.count()
        with transaction.atomic():
            step = time.perf_counter()
            upload = services.roster_import_create(
                municipality=municipality, kind="staff", file_name="bench.csv", content=good, user=user
            )
            uploaded = time.perf_counter()
            services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=user)
            committed = time.perf_counter()
            after = StaffMember.objects.count()
            transaction.set_rollback(True)
        print(
            f"commit (rolled back): upload + dry run {uploaded - step:.2f} s, commit {committed - uploaded:.2f} s "
            f"(re-plan and write: {after - before:,} staff created, {upload.summary['counts']['transfer']:,} "
            f"transferred, {upload.summary['counts']['deactivate']:,} deactivated)"
        )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
