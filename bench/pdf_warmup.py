"""The first PDF a fresh process renders, with and without `reports.certificates.warm_up()` at start
(what gunicorn's post_worker_init does), against the second and third: prints ms per PDF.

    .venv/bin/python bench/pdf_warmup.py [--runs 5]

Each run is a new Python process (Django set up, no database: the certificate is rendered from an
unsaved record), so the first PDF pays what a freshly started worker pays."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import datetime, json, os, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sns_training.settings.dev")
import django
django.setup()
from quizzes.models import CompletionRecord
from reports import certificates

warm = {warm}
started = time.perf_counter()
if warm:
    certificates.warm_up()
warm_up_ms = (time.perf_counter() - started) * 1000
tokyo = datetime.timezone(datetime.timedelta(hours=9))
record = CompletionRecord(
    staff_name="芦屋 一郎", staff_number="00123", department_name="広報課", department_code="1100",
    employment_type_label="正規職員", municipality_name="芦屋市", guideline_title="芦屋市職員のソーシャルメディア利用ガイドライン",
    guideline_version="第1版", fiscal_year=2026, completed_at=datetime.datetime(2026, 6, 2, 10, 30, tzinfo=tokyo),
    attested_at=datetime.datetime(2026, 6, 2, 10, 35, tzinfo=tokyo), verification_code="ABCDEF123456",
)
times = []
for _ in range(3):
    t = time.perf_counter()
    certificates.certificate_pdf(record)
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps({{"warm_up_ms": warm_up_ms, "pdf_ms": times}}))
"""


def run(warm: bool) -> dict:
    code = CHILD.format(root=str(ROOT), warm=warm)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for warm in (False, True):
        results = [run(warm) for _ in range(args.runs)]
        first = statistics.median(r["pdf_ms"][0] for r in results)
        later = statistics.median(t for r in results for t in r["pdf_ms"][1:])
        label = "with warm_up at start" if warm else "cold (no warm-up)"
        extra = f", warm_up itself {statistics.median(r['warm_up_ms'] for r in results):.0f} ms" if warm else ""
        print(
            f"{label:24} first PDF {first:6.0f} ms | 2nd/3rd {later:6.0f} ms | "
            f"first/later {first / later:4.2f}{extra}  (median of {args.runs} processes)"
        )


if __name__ == "__main__":
    main()
