"""`make bench`: serve the site with gunicorn on the generated sns_bench database and load each
scenario of bench/scenarios.py with wrk; print req/s, latency, SQL per request and each
scenario's throughput as a percentage of the bare view's in the same run; then a burst of quiz
submits from many people at once.

    .venv/bin/python bench/run.py [--worker-class sync|gthread|both] [--seconds 10] [--rounds 1] [--profile]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
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

BURST_TARGET_S = 5.0  # the burst: every submit answered within this time of the release
# The quiz pool by default covers wrk runs at up to this many submits/s (more is a clear failure
# asking for --quiz-users; each person has one attempt, so the pool is people).
QUIZ_RATE_BUDGET = 800
QUIZ_USERS_MIN = 6_000
PROFILE_WAIT_SECONDS = 5  # --profile: one more wrk run per scenario, sampling PostgreSQL's wait events
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
    # Prepared requests: the DB checks of the unmeasured runs, (label, check): warm-up, --profile run.
    unmeasured_checks: list[tuple[str, dict]] = field(default_factory=list)
    waits: str = ""  # --profile: what the server's PostgreSQL connections did under load (bench.pgwait)

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
        return sum(r.failed for r in self.results) + sum(not c["ok"] for _, c in self.unmeasured_checks)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # sync measured better for the chapter page: +10% req/s and a lower p95 than gthread with 4 threads.
    parser.add_argument("--worker-class", choices=["sync", "gthread", "both"], default="sync")
    # As gunicorn.conf.py starts production: one worker more than the cores.
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--seconds", type=float, default=10, help="measured wrk run per scenario and round")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured wrk run before each scenario")
    parser.add_argument("--rounds", type=int, default=1, help="measure the scenarios in turn this many times")
    parser.add_argument("--connections", type=int, default=0, help="wrk connections (default: 2 per worker)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--recreate-db", action="store_true", help="drop sns_bench and generate it again")
    parser.add_argument("--profile", action="store_true", help="also profile each scenario in-process")
    parser.add_argument(
        "--quiz-users",
        type=int,
        default=0,
        help=f"people in the quiz pool, one open attempt each (default: enough for {QUIZ_RATE_BUDGET} submits/s)",
    )
    parser.add_argument("--burst-users", type=int, default=300, help="people who submit at once in the burst (0: none)")
    return parser.parse_args(argv)


def quiz_users(args, servers: int) -> int:
    """Attempts the run needs: the wrk runs at QUIZ_RATE_BUDGET, and per server one verify request,
    the burst and two in-process requests (SQL count); --profile another 2 x 201 in-process."""
    if args.quiz_users:
        return args.quiz_users
    wrk_seconds = (args.warmup + args.seconds * args.rounds + PROFILE_WAIT_SECONDS * args.profile) * servers
    needed = math.ceil(QUIZ_RATE_BUDGET * wrk_seconds) + servers * (3 + args.burst_users) + 402 * args.profile
    return max(QUIZ_USERS_MIN, needed)


def quiz_reserve(args, servers_left: int) -> int:
    """Attempts kept back from this server's wrk runs for its burst and in-process count and for
    the servers after it."""
    return args.burst_users + 2 + (servers_left - 1) * (3 + args.burst_users) + 402 * args.profile


def main(argv=None) -> int:
    args = parse_args(argv)
    args.connections = args.connections or 2 * args.workers
    import django

    django.setup()  # bench.settings also fills in the environment that gunicorn inherits

    from bench import data as bench_data
    from bench import machine, quiz
    from bench.loadgen import wrk_ensure

    wrk_ensure()
    started = time.perf_counter()
    created = bench_data.database_ensure(os.environ["DATABASE_URL"], recreate=args.recreate_db)
    print(f"database sns_bench: {'created' if created else 'exists'}")
    data = bench_data.prepare()
    classes = ["sync", "gthread"] if args.worker_class == "both" else [args.worker_class]
    step = time.perf_counter()
    quiz.questions_ensure()
    data.timings["questions"] = time.perf_counter() - step
    # Per run, counted apart: every attempt is graded once, so each run needs its own.
    users = quiz_users(args, len(classes))
    if not args.quiz_users:
        available = quiz.people_available(exclude_user_pk=data.user_pk)
        if users > available:
            print(f"quiz pool: {users} people wanted for {QUIZ_RATE_BUDGET} submits/s, {available} available")
            users = available
    pool, quiz_timings = quiz.pool_create(users=users, exclude_user_pk=data.user_pk)
    print(
        "preparation: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in data.timings.items())
        + f"; total {time.perf_counter() - started:.1f} s"
    )
    print(
        f"quiz pool, made for this run: {len(pool.submits)} people with a session, a csrftoken and an open attempt "
        "in " + ", ".join(f"{name.removeprefix('quiz ')} {seconds:.1f} s" for name, seconds in quiz_timings.items())
    )
    print(f"log-in: {data.login_municipality_code}/{data.login_staff_number}; chapter: {data.chapter_label}")
    print(f"quiz: {pool.chapter_label}, every submit all correct, each from another person")

    (RESULTS / "gunicorn.log").unlink(missing_ok=True)  # each run's server log starts empty
    idle = machine.idle_percent()
    print(f"machine: {machine.describe()}; idle before the run {idle:.0f}%")
    runs = [
        measure(args, data, pool, worker_class, servers_left=len(classes) - number)
        for number, worker_class in enumerate(classes)
    ]

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
    failed = False
    if any(row.failed for run in runs for row in run["rows"]):
        print("FAILED: some requests did not get the expected answer (see the failed column and the DB checks).")
        failed = True
    if any(run["burst"] is not None and not burst_ok(run["burst"]) for run in runs):
        print("FAILED: some burst submits did not get the expected answer or grade their attempt.")
        failed = True
    return 1 if failed else 0


def measure(args, data, pool, worker_class: str, *, servers_left: int) -> dict:
    """Start gunicorn, log in, check each scenario once, load each with wrk, then the burst of quiz
    submits; always stop gunicorn."""
    from django.conf import settings
    from django.db import connections
    from django.utils import timezone

    from bench import inprocess, quiz
    from bench.loadgen import run_wrk
    from bench.machine import CpuMeter
    from bench.scenarios import SCENARIOS, Context
    from bench.server import Gunicorn
    from bench.webclient import Browser

    threads = args.threads if worker_class == "gthread" else 1
    server = Gunicorn(workers=args.workers, worker_class=worker_class, threads=threads)
    load = {"connections": args.connections, "threads": args.wrk_threads}
    database = settings.DATABASES["default"]["NAME"]
    burst = None
    try:
        server.start()
        browser = Browser(server.base_url)
        browser.login(
            municipality_code=data.login_municipality_code,
            staff_number=data.login_staff_number,
            password=data.password,
        )
        ctx = Context(base_url=server.base_url, data=data, cookie_header=browser.cookie_header(), quiz_pool=pool)
        targets = [scenario(ctx) for scenario in SCENARIOS]
        rows = [Row(name=t.name, path=t.path) for t in targets]
        for target in targets:
            verify(server.base_url, target)
        pool.reserved = quiz_reserve(args, servers_left)
        for round_number in range(args.rounds):
            for target, row in zip(targets, rows, strict=True):
                if round_number == 0 and args.warmup > 0:
                    since = timezone.now()
                    warm = run_wrk(server.base_url, target, seconds=args.warmup, **load)
                    if target.pool is not None:
                        row.unmeasured_checks.append(("warm-up", quiz.settle(target.pool, warm, since)))
                since = timezone.now()
                with CpuMeter(server.pids, database) as meter:
                    result = run_wrk(server.base_url, target, seconds=args.seconds, **load)
                result.other_cores = meter.other_cores
                result.cpu_seconds = meter.seconds
                if target.pool is not None:
                    quiz.settle(target.pool, result, since)
                row.results.append(result)
        if args.profile:
            sample_waits(args, server, targets, rows)
        quiz_target = next((t for t in targets if t.pool is not None), None)
        if quiz_target is not None and args.burst_users:
            burst = run_burst(server.base_url, quiz_target, args.burst_users)
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    for target, row in zip(targets, rows, strict=True):
        row.sql = inprocess.queries(target)
    connections.close_all()
    return {"server": server.label, "rows": rows, "targets": targets, "rss": rss, "burst": burst}


def sample_waits(args, server, targets, rows) -> None:
    """--profile: one more wrk run per scenario while pg_stat_activity is sampled (bench.pgwait)."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from bench import quiz
    from bench.loadgen import run_wrk
    from bench.pgwait import WaitSampler

    connection.ensure_connection()
    ours = [connection.connection.info.backend_pid]
    database = settings.DATABASES["default"]["NAME"]
    for target, row in zip(targets, rows, strict=True):
        since = timezone.now()
        with WaitSampler(os.environ["DATABASE_URL"], database, ours) as sampler:
            result = run_wrk(
                server.base_url,
                target,
                seconds=PROFILE_WAIT_SECONDS,
                connections=args.connections,
                threads=args.wrk_threads,
            )
        if target.pool is not None:
            row.unmeasured_checks.append(("--profile run", quiz.settle(target.pool, result, since)))
        row.waits = f"  under wrk with the sampler: {result.rps:.1f} req/s\n" + sampler.report()


def run_burst(base_url: str, target, users: int):
    """`users` people submit at once to the idle server; then the database says what was graded."""
    from django.utils import timezone

    from bench import burst, quiz

    time.sleep(1.0)  # the last wrk run's requests are done
    since = timezone.now()
    submits = target.pool.take(users)
    result = burst.run(base_url, submits, dict(target.headers))
    time.sleep(0.3)
    answered = len(submits) - len(result.unanswered)
    result.db_check = quiz.graded_check(submits, [s.path for s in result.answered_ok], answered, since)
    return result


def burst_ok(result) -> bool:
    return result.errors == 0 and result.db_check["ok"]


def verify(base_url: str, target) -> None:
    """One request outside wrk: the expected status (so no redirect to the log-in) and content;
    a prepared request (quiz submit) must redirect to its own attempt and grade it."""
    from bench.webclient import Browser

    browser = Browser(base_url)
    path, body = target.path, None
    if target.pool is not None:
        prepared = target.pool.take(1)[0]
        path, body = prepared.path, prepared.body
        browser.cookies.update(pair.split("=", 1) for pair in prepared.cookie.split("; "))
    for pair in filter(None, (p.strip() for p in target.headers.get("Cookie", "").split(";"))):
        name, _, value = pair.partition("=")
        browser.cookies[name] = value
    headers = {k: v for k, v in target.headers.items() if k != "Cookie"}
    response = browser.request(target.method, path, body=body, headers=headers)
    if response.status != target.expected_status:
        raise RuntimeError(f"{target.name}: {path} answered {response.status} {response.location!r}")
    if target.pool is not None:
        from quizzes.models import QuizAttempt

        graded = QuizAttempt.objects.get(pk=prepared.attempt_id).state == QuizAttempt.State.GRADED
        if response.location != path or not graded:
            raise RuntimeError(f"{target.name}: {path} redirected to {response.location!r}, graded: {graded}")
    if target.must_contain and target.must_contain not in response.body:
        raise RuntimeError(f"{target.name}: {path} does not contain {target.must_contain!r}")


def print_table(run: dict) -> None:
    from bench.inprocess import TRANSACTION_CONTROL
    from bench.quiz import describe_check

    rows = run["rows"]
    bare = rows[0].rps
    print()
    print(run["server"])
    print(
        f"{'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'% of bare':>11}{'SQL':>5}{'failed':>8}"
        f"{'other CPU':>11}"
    )
    for row in rows:
        percent = 100 * row.rps / bare if bare else 0.0
        print(
            f"{row.name:<28}{row.rps:>9.1f}{row.median('p50_ms'):>9.2f}{row.median('p95_ms'):>9.2f}"
            f"{row.median('p99_ms'):>9.2f}{percent:>10.1f}%{len(row.sql):>5}{row.failed:>8}{row.median('other_cores'):>10.2f}c"
        )
    print("gunicorn worker RSS after the run: " + ", ".join(f"{mb:.1f} MB" for mb in run["rss"]))
    print_cpu(rows)
    for target, row in zip(run["targets"][1:], rows[1:], strict=True):
        percent = 100 * row.rps / bare if bare else 0.0
        rounds = ""
        if len(row.results) > 1:
            per_round = [100 * r.rps / b.rps for r, b in zip(row.results, rows[0].results, strict=True)]
            rounds = " (rounds: " + ", ".join(f"{p:.1f}%" for p in per_round) + ")"
        line = f"{row.name}: {row.rps:.1f} req/s, {percent:.1f}% of the bare view{rounds}"
        if row.failed:
            line += ", not judged against a target: some requests failed"
        elif target.goal_percent is not None:
            verdict = "meets" if percent >= target.goal_percent else "is BELOW"
            line += f", {verdict} the {target.goal_percent:g}% target"
        if target.goal_rps is not None and not row.failed:
            verdict = "meets" if row.rps >= target.goal_rps else "is BELOW"
            line += f", {verdict} the {target.goal_rps:g} req/s target"
        print(line)
        if target.pool is not None:
            transactions = sum(1 for sql in row.sql if sql in TRANSACTION_CONTROL)
            print(
                f"  SQL per submit (in-process): {len(row.sql)} = {len(row.sql) - transactions} statements "
                f"+ {transactions} BEGIN/COMMIT"
            )
            for label, check in row.unmeasured_checks:
                print(f"  DB check, {label}: {describe_check(check)}")
            for number, result in enumerate(row.results, 1):
                print(f"  DB check, round {number}: {describe_check(result.db_check)}")
                if result.exhausted:
                    print(
                        f"  the pool ran out: {result.exhausted} requests found no open attempt left; "
                        "pass a larger --quiz-users"
                    )
    if run["burst"] is not None:
        print_burst(run["burst"])


def print_cpu(rows) -> None:
    """CPU time per request of each process group while wrk ran: what the 2 cores were spent on."""
    from bench.machine import CpuMeter

    print("CPU per request, ms (from /proc while wrk ran): " + ", ".join(CpuMeter.GROUPS) + ", total")
    for row in rows:
        if not row.requests:
            continue
        spent = [sum(r.cpu_seconds.get(group, 0.0) for r in row.results) for group in CpuMeter.GROUPS]
        figures = [1000 * seconds / row.requests for seconds in spent]
        print(f"  {row.name:<26}" + "".join(f"{ms:>8.2f}" for ms in figures) + f"{sum(figures):>9.2f}")


def print_burst(result) -> None:
    from bench.quiz import describe_check

    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(result.statuses.items()))
    within = result.wall_s <= BURST_TARGET_S and result.errors == 0
    print(
        f"burst: {result.users} people submit at once (connections opened first, requests released together): "
        f"last answer {result.wall_s:.2f} s after the release, p50 {1000 * result.percentile(50):.0f} ms, "
        f"p95 {1000 * result.percentile(95):.0f} ms; {statuses}"
    )
    print(f"  DB check: {describe_check(result.db_check)}")
    print(
        f"  {'PASS' if within else 'FAIL'}: the target is all {result.users} answered as expected within "
        f"{BURST_TARGET_S:g} s"
    )


def profile(run: dict) -> None:
    """In-process: mean time per request, the SQL, and cProfile's top functions (--profile)."""
    from bench import inprocess

    for target, row in zip(run["targets"], run["rows"], strict=True):
        print(f"\n--- {target.name} {target.path}: in-process mean {inprocess.mean_ms(target):.2f} ms per request")
        for number, statement in enumerate(row.sql, 1):
            print(f"SQL {number}: {statement[:160]}")
        if row.waits:
            print(row.waits)
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
                "burst": None
                if run["burst"] is None
                else {
                    "users": run["burst"].users,
                    "wall_s": round(run["burst"].wall_s, 3),
                    "p50_ms": round(1000 * run["burst"].percentile(50), 1),
                    "p95_ms": round(1000 * run["burst"].percentile(95), 1),
                    "statuses": run["burst"].statuses,
                    "db_check": run["burst"].db_check,
                },
                "rows": [
                    {
                        "endpoint": row.name,
                        "path": row.path,
                        "sql": len(row.sql),
                        "rps": round(row.rps, 1),
                        "percent_of_bare": round(100 * row.rps / run["rows"][0].rps, 2) if run["rows"][0].rps else 0,
                        "rounds": [asdict(r) for r in row.results],
                        "unmeasured_checks": dict(row.unmeasured_checks),
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
