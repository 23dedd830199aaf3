"""Changes-only retraining benchmark (issue 14, decision 0037): giving a substantive version's
改正点の確認 to a 50,000-person municipality.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sns_<yours> .venv/bin/python bench/revisions.py

On the bench dataset (bench/data.py: 50,000 staff of two municipalities) it makes, once, one
municipality of all 50,000 (the second's staff and departments moved into the first, 職員番号
and 所属コード prefixed with 9 so they stay unique) with a cycle of the current 年度 in which everyone completed
the guideline's latest version (CompletionRecords by bulk_create, in the hash chain). Then it
records a substantive version (one clause of the first chapter changed, marked 実質) and measures
`training.services.revision_reviews_create` (what the background task runs): seconds, SQL
statements, reviews made; then a re-run, which must make none. The reviews (not evidence) are
deleted before each run. Exit 1 if a count is wrong.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("BENCH_SETTINGS", "bench.settings")

TARGET_SECONDS = 60.0


def one_municipality(log=print):
    """Move the second municipality's staff and departments into the first (once)."""
    from django.db import transaction
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from people.models import Department, Municipality, StaffMember

    first, *others = list(Municipality.objects.order_by("code"))
    with transaction.atomic():
        for other in others:
            moved = Department.objects.filter(municipality=other).update(
                municipality=first, code=Concat(Value("9"), F("code"))
            )
            StaffMember.objects.filter(municipality=other).update(
                municipality=first, staff_number=Concat(Value("9"), F("staff_number"))
            )
            if moved:
                log(f"moved {other.name}'s staff and {moved} departments into {first.name}")
    return first


def training_ensure(*, municipality, guideline, log=print):
    from django.db import transaction
    from django.utils import timezone

    from bench.records import completion_record
    from courses import versions
    from courses.models import ChapterPage
    from people.models import StaffMember
    from quizzes.models import CompletionRecord
    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
    from training.models import Assignment, TrainingCycle

    year = fiscal_year_of(timezone.localdate())
    start, end = fiscal_year_bounds(year)
    cycle, _created = TrainingCycle.objects.get_or_create(
        municipality=municipality,
        guideline=guideline,
        fiscal_year=year,
        defaults={"opens_on": start, "due_on": start + datetime.timedelta(days=90), "closes_on": end},
    )
    version = versions.current(guideline)
    chapters = {
        str(pk): rev for pk, rev in ChapterPage.objects.child_of(guideline).values_list("pk", "live_revision_id")
    }
    have = set(Assignment.objects.filter(cycle=cycle).values_list("staff_id", flat=True))
    staff = [
        m
        for m in StaffMember.objects.filter(municipality=municipality, is_active=True)
        .select_related("department")
        .order_by("pk")
        if m.pk not in have
    ]
    if not staff:
        log(f"training: present ({len(have):,} completed assignments)")
        return cycle
    began = time.perf_counter()
    zone = timezone.get_current_timezone()
    at = datetime.datetime.combine(start + datetime.timedelta(days=10), datetime.time(10), tzinfo=zone)
    records = [
        completion_record(
            member=m,
            guideline=guideline,
            fiscal_year=year,
            completed_at=at,
            attested_at=at,
            clauses=30,
            first_try_correct=25,
            verification_code=f"V{m.pk:011d}",
            cycle=cycle,
            version=version,
            chapter_revisions=chapters,
        )
        for m in staff
    ]
    with transaction.atomic():
        CompletionRecord.objects.bulk_create(records, batch_size=5_000)
        Assignment.objects.bulk_create(
            [
                Assignment(
                    cycle=cycle,
                    staff_id=r.staff_id,
                    reason=Assignment.Reason.CYCLE_OPEN,
                    assigned_on=cycle.opens_on,
                    due_on=cycle.due_on,
                    completed_at=at,
                    completion_id=r.pk,
                )
                for r in records
            ],
            batch_size=5_000,
        )
    log(f"training: {len(records):,} completions in {time.perf_counter() - began:.1f} s")
    return cycle


def substantive_version(guideline):
    """A new version whose first clause is changed and marked 実質 (as publishing would record it)."""
    from courses.models import GuidelineVersion
    from courses.versions import snapshot_hash

    latest = GuidelineVersion.objects.filter(guideline=guideline).order_by("-number").first()
    clauses = [dict(c) for c in latest.clauses]
    clauses[0]["body"] = clauses[0]["body"] + "（ベンチマークの改正）"
    return GuidelineVersion.objects.create(
        guideline=guideline,
        number=latest.number + 1,
        effective_date=latest.effective_date,
        clauses=clauses,
        content_hash=snapshot_hash(clauses),
        classifications={clauses[0]["key"]: "substantive"},
    )


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import data as bench_data
    from courses.models import GuidelinePage, GuidelineVersion
    from training.models import RevisionReview, RevisionRollout
    from training.services import revision_reviews_create

    created = bench_data.database_ensure(os.environ["DATABASE_URL"])
    print(f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}: {'created' if created else 'exists'}")
    bench_data.prepare()
    municipality = one_municipality()
    guideline = GuidelinePage.objects.live().filter(municipality=municipality).order_by("path").first()
    cycle = training_ensure(municipality=municipality, guideline=guideline)
    RevisionReview.objects.filter(cycle=cycle).delete()
    RevisionRollout.objects.filter(cycle=cycle).delete()
    version = substantive_version(guideline)
    completed = cycle.assignments.filter(completion__isnull=False).count()
    try:
        rows = []
        for label in ("first run", "re-run"):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                result = revision_reviews_create(version=version)
                seconds = time.perf_counter() - began
            rows.append((label, result["created"], seconds, len(queries.captured_queries)))
        total = RevisionReview.objects.filter(version=version).count()
    finally:
        RevisionReview.objects.filter(version=version).delete()
        RevisionRollout.objects.filter(version=version).delete()
        GuidelineVersion.objects.filter(pk=version.pk).delete()
    print()
    print(f"改正点の確認 for one municipality: {completed:,} people completed the previous version")
    print(f"{'run':<12}{'reviews made':>14}{'seconds':>10}{'SQL':>6}")
    for label, made, seconds, statements in rows:
        print(f"{label:<12}{made:>14,}{seconds:>10.2f}{statements:>6}")
    print(f"target: ≤ {TARGET_SECONDS:.0f} s for the first run; the re-run makes none")
    ok = rows[0][1] == completed == total and rows[1][1] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
