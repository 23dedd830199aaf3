"""`make bench`: serve the site with gunicorn on the generated sns_bench database and load each
scenario of bench/scenarios.py with wrk; print req/s, latency, SQL per request and each
scenario's throughput as a percentage of the bare view's in the same run.

    .venv/bin/python bench/run.py [--worker-class sync|gthread|both] [--seconds 10] [--rounds 1] [--profile]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on sys.path; the project root belongs there instead.
sys.path[0] = str(ROOT)
# Never a developer's exported settings: BENCH_SETTINGS may name a variant of bench.settings.
os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("BENCH_SETTINGS", "bench.settings")

TARGET_PERCENT = 8.0  # the chapter page's throughput as a share of the bare view's
BUSY_IDLE_PERCENT = 80.0  # below this idle share before the run, other work skews the figures
BUSY_OTHER_CORES = 0.2  # nor should other processes take more than this while wrk runs
RESULTS = ROOT / "bench" / "results"


@dataclass
class Row:
    """One scenario's figures, over all rounds of one server."""

    name: str
    path: str
    sql: list[str] = field(default_factory=list)
    results: list = field(default_factory=list)  # loadgen.Result per round

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.results)

    @property
    def rps(self) -> float:
        seconds = sum(r.duration_s for r in self.results)
        return self.requests / seconds if seconds else 0.0

    def median(self, name: str) -> float:
        return statistics.median(getattr(r, name) for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.results)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # sync measured better for the chapter page: +10% req/s and a lower p95 than gthread with 4 threads.
    parser.add_argument("--worker-class", choices=["sync", "gthread", "both"], default="sync")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--seconds", type=float, default=10, help="measured wrk run per scenario and round")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured wrk run before each scenario")
    parser.add_argument("--rounds", type=int, default=1, help="measure the scenarios in turn this many times")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--recreate-db", action="store_true", help="drop sns_bench and generate it again")
    parser.add_argument("--profile", action="store_true", help="also profile each scenario in-process")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import django

    django.setup()  # bench.settings also fills in the environment that gunicorn inherits

    from bench import data as bench_data
    from bench import machine
    from bench.loadgen import wrk_ensure

    wrk_ensure()
    started = time.perf_counter()
    created = bench_data.database_ensure(os.environ["DATABASE_URL"], recreate=args.recreate_db)
    print(f"database sns_bench: {'created' if created else 'exists'}")
    data = bench_data.prepare()
    print(
        "preparation: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in data.timings.items())
        + f"; total {time.perf_counter() - started:.1f} s"
    )
    print(f"log-in: {data.login_municipality_code}/{data.login_staff_number}; chapter: {data.chapter_label}")

    (RESULTS / "gunicorn.log").unlink(missing_ok=True)  # each run's server log starts empty
    idle = machine.idle_percent()
    print(f"machine: {machine.describe()}; idle before the run {idle:.0f}%")
    classes = ["sync", "gthread"] if args.worker_class == "both" else [args.worker_class]
    runs = [measure(args, data, worker_class) for worker_class in classes]

    print()
    print(
        f"wrk {args.wrk_threads} threads x {args.connections} connections; per scenario {args.warmup:g} s warm-up, "
        f"then {args.rounds} x {args.seconds:g} s measured; every request must answer as expected (failed = 0)"
    )
    for run in runs:
        print_table(run)
    busiest = max(r.other_cores for run in runs for row in run["rows"] for r in row.results)
    if idle < BUSY_IDLE_PERCENT or busiest > BUSY_OTHER_CORES:
        print(
            f"\nWARNING: other processes used up to {busiest:.2f} cores while wrk ran ({idle:.0f}% idle before "
            "the run): req/s are low and the ratios noisy. Compare runs whose other CPU is near 0."
        )
    if args.profile:
        profile(runs[-1])
    save(args, data, runs, idle)
    if any(row.failed for run in runs for row in run["rows"]):
        print("FAILED: some requests did not get the expected answer (see the failed column).")
        return 1
    return 0


def measure(args, data, worker_class: str) -> dict:
    """Start gunicorn, log in, check each scenario once, load each with wrk; always stop gunicorn."""
    from django.conf import settings
    from django.db import connections

    from bench import inprocess
    from bench.loadgen import run_wrk
    from bench.machine import CpuMeter
    from bench.scenarios import SCENARIOS, Context
    from bench.server import Gunicorn
    from bench.webclient import Browser

    threads = args.threads if worker_class == "gthread" else 1
    server = Gunicorn(workers=args.workers, worker_class=worker_class, threads=threads)
    load = {"connections": args.connections, "threads": args.wrk_threads}
    database = settings.DATABASES["default"]["NAME"]
    try:
        server.start()
        browser = Browser(server.base_url)
        browser.login(
            municipality_code=data.login_municipality_code,
            staff_number=data.login_staff_number,
            password=data.password,
        )
        ctx = Context(base_url=server.base_url, data=data, cookie_header=browser.cookie_header())
        targets = [scenario(ctx) for scenario in SCENARIOS]
        rows = [Row(name=t.name, path=t.path) for t in targets]
        for target in targets:
            verify(server.base_url, target)
        for round_number in range(args.rounds):
            for target, row in zip(targets, rows, strict=True):
                if round_number == 0 and args.warmup > 0:
                    run_wrk(server.base_url, target, seconds=args.warmup, **load)
                with CpuMeter(server.pids, database) as meter:
                    result = run_wrk(server.base_url, target, seconds=args.seconds, **load)
                result.other_cores = meter.other_cores
                row.results.append(result)
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    for target, row in zip(targets, rows, strict=True):
        row.sql = inprocess.queries(target)
    connections.close_all()
    return {"server": server.label, "rows": rows, "targets": targets, "rss": rss}


def verify(base_url: str, target) -> None:
    """One request outside wrk: the expected status (so no redirect to the log-in) and content."""
    from bench.webclient import Browser

    browser = Browser(base_url)
    for pair in filter(None, (p.strip() for p in target.headers.get("Cookie", "").split(";"))):
        name, _, value = pair.partition("=")
        browser.cookies[name] = value
    response = browser.request(target.method, target.path)
    if response.status != target.expected_status:
        raise RuntimeError(f"{target.name}: {target.path} answered {response.status} {response.location!r}")
    if target.must_contain and target.must_contain not in response.body:
        raise RuntimeError(f"{target.name}: {target.path} does not contain {target.must_contain!r}")


def print_table(run: dict) -> None:
    rows = run["rows"]
    bare = rows[0].rps
    print()
    print(run["server"])
    print(
        f"{'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'% of bare':>11}{'SQL':>5}{'failed':>8}"
    )
    for row in rows:
        percent = 100 * row.rps / bare if bare else 0.0
        print(
            f"{row.name:<28}{row.rps:>9.1f}{row.median('p50_ms'):>9.2f}{row.median('p95_ms'):>9.2f}"
            f"{row.median('p99_ms'):>9.2f}{percent:>10.1f}%{len(row.sql):>5}{row.failed:>8}{row.median('other_cores'):>10.2f}c"
        )
    print("gunicorn worker RSS after the run: " + ", ".join(f"{mb:.1f} MB" for mb in run["rss"]))
    for row in rows[1:]:
        percent = 100 * row.rps / bare if bare else 0.0
        verdict = "meets" if percent >= TARGET_PERCENT else "is BELOW"
        rounds = ""
        if len(row.results) > 1:
            per_round = [100 * r.rps / b.rps for r, b in zip(row.results, rows[0].results, strict=True)]
            rounds = " (rounds: " + ", ".join(f"{p:.1f}%" for p in per_round) + ")"
        print(f"{row.name}: {percent:.1f}% of the bare view{rounds}, {verdict} the {TARGET_PERCENT:g}% target")


def profile(run: dict) -> None:
    """In-process: mean time per request, the SQL, and cProfile's top functions (--profile)."""
    from bench import inprocess

    for target, row in zip(run["targets"], run["rows"], strict=True):
        print(f"\n--- {target.name} {target.path}: in-process mean {inprocess.mean_ms(target):.2f} ms per request")
        for number, statement in enumerate(row.sql, 1):
            print(f"SQL {number}: {statement[:160]}")
        print(inprocess.profile(target))


def save(args, data, runs, idle: float) -> None:
    """bench/results/last.json (ignored by git), for comparing runs."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "args": vars(args),
        "idle_percent_before": round(idle, 1),
        "dataset": asdict(data),
        "runs": [
            {
                "server": run["server"],
                "worker_rss_mb": [round(mb, 1) for mb in run["rss"]],
                "rows": [
                    {
                        "endpoint": row.name,
                        "path": row.path,
                        "sql": len(row.sql),
                        "rps": round(row.rps, 1),
                        "percent_of_bare": round(100 * row.rps / run["rows"][0].rps, 2) if run["rows"][0].rps else 0,
                        "rounds": [asdict(r) for r in row.results],
                    }
                    for row in run["rows"]
                ],
            }
            for run in runs
        ],
    }
    (RESULTS / "last.json").write_text(json.dumps(record, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    sys.exit(main())
