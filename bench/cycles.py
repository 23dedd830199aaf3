"""`make bench` (second part): opening a training cycle for the 50,000 generated staff of sns_bench.

Opens, through training.services.cycle_open as HR's admin does, a cycle for about 5,000 people
(two 部 of one municipality), then one for each municipality's whole staff (about 25,000 each,
50,000 together: a cycle belongs to one municipality, so the platform's largest opening is the
two of them). Prints per opening the people assigned, seconds, SQL statements and the peak Python
memory (tracemalloc), which must not grow with the count; target: 10 s for the 50,000.
Every cycle it opens is deleted again (年度 2090, which nothing else uses).

    .venv/bin/python bench/cycles.py [--recreate-db]
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("BENCH_SETTINGS", "bench.settings")

FISCAL_YEAR = 2090  # far from any real 年度: the bench's cycles never meet the site's
TARGET_SECONDS = 10.0


@dataclass
class Opening:
    label: str
    assigned: int
    seconds: float
    statements: int
    peak_mb: float


def cycles_clear() -> int:
    """Delete the bench's cycles (assignments, audience departments, log entries) in a few
    statements, without loading the rows."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from wagtail.models import ModelLogEntry

    from training.models import Assignment, TrainingCycle

    ids = list(TrainingCycle.objects.filter(fiscal_year=FISCAL_YEAR).values_list("pk", flat=True))
    if not ids:
        return 0
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(f"DELETE FROM {qn(Assignment._meta.db_table)} WHERE cycle_id IN ({marks})", ids)  # noqa: S608
        through = TrainingCycle.departments.through._meta.db_table
        cursor.execute(f"DELETE FROM {qn(through)} WHERE trainingcycle_id IN ({marks})", ids)  # noqa: S608
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(TrainingCycle), object_id__in=[str(i) for i in ids]
        ).delete()
        TrainingCycle.objects.filter(pk__in=ids).delete()
    return len(ids)


def open_measured(label: str, *, guideline, departments=()) -> Opening:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sns_training.fiscal_year import fiscal_year_bounds
    from training.models import Assignment
    from training.services import cycle_open

    start, end = fiscal_year_bounds(FISCAL_YEAR)
    tracemalloc.start()
    tracemalloc.reset_peak()
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        cycle = cycle_open(
            guideline=guideline,
            fiscal_year=FISCAL_YEAR,
            opens_on=start,
            due_on=start + datetime.timedelta(days=90),
            closes_on=end,
            departments=departments,
            today=start,
        )
        seconds = time.perf_counter() - began
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Opening(
        label=label,
        assigned=Assignment.objects.filter(cycle=cycle).count(),
        seconds=seconds,
        statements=len(queries.captured_queries),
        peak_mb=peak / 1_000_000,
    )


def print_table(rows: list[Opening]) -> None:
    print()
    print("Opening a training cycle (training.services.cycle_open: one INSERT … SELECT)")
    print(f"{'audience':<34}{'assigned':>10}{'seconds':>10}{'SQL':>6}{'peak Python MB':>16}")
    for row in rows:
        print(f"{row.label:<34}{row.assigned:>10,}{row.seconds:>10.2f}{row.statements:>6}{row.peak_mb:>16.2f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recreate-db", action="store_true", help="drop sns_bench and generate it again")
    args = parser.parse_args(argv)
    import django

    django.setup()

    from bench import data as bench_data
    from courses.models import GuidelinePage
    from people.models import Department, Municipality

    created = bench_data.database_ensure(os.environ["DATABASE_URL"], recreate=args.recreate_db)
    print(f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}: {'created' if created else 'exists'}")
    bench_data.prepare()
    if cycles_clear():
        print("removed cycles left by an interrupted run")

    municipalities = list(Municipality.objects.order_by("code"))
    guidelines = {g.municipality_id: g for g in GuidelinePage.objects.live().order_by("path")}
    rows: list[Opening] = []
    try:
        first = municipalities[0]
        two_bu = list(Department.objects.filter(municipality=first, depth=1).order_by("code")[:2])
        rows.append(open_measured(f"{first.name}, 2 部", guideline=guidelines[first.pk], departments=two_bu))
        cycles_clear()
        for municipality in municipalities:
            rows.append(open_measured(f"{municipality.name}, everyone", guideline=guidelines[municipality.pk]))
        whole = rows[1:]
        rows.append(
            Opening(
                label="both municipalities (the platform)",
                assigned=sum(r.assigned for r in whole),
                seconds=sum(r.seconds for r in whole),
                statements=sum(r.statements for r in whole),
                peak_mb=max(r.peak_mb for r in whole),
            )
        )
    finally:
        cycles_clear()
    print_table(rows)
    platform = rows[-1]
    small = rows[0]
    growth = platform.peak_mb / small.peak_mb if small.peak_mb else float("inf")
    print(
        f"\n{platform.assigned:,} people assigned in {platform.seconds:.2f} s "
        f"({'PASS' if platform.seconds <= TARGET_SECONDS else 'FAIL'} against {TARGET_SECONDS:.0f} s); "
        f"peak Python memory {small.peak_mb:.2f} MB for {small.assigned:,} people, {platform.peak_mb:.2f} MB for "
        f"{max(r.assigned for r in rows[1:-1]):,} in one opening (x{growth:.2f} for x"
        f"{max(r.assigned for r in rows[1:-1]) / max(small.assigned, 1):.1f} people)"
    )
    return 0 if platform.seconds <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
