"""Health drill (issue 13, sns_training/health.py): gunicorn (production settings, bench/settings.py)
in front of a PostgreSQL cluster of the drill's own and Redis db 5; the cluster is stopped and
started again while /readyz/ and a page are requested without pause. Figures:

- after the stop: how soon /readyz/ answers 503, how long each answer took (≤ 1 s), and that
  people get the Japanese 503 page with Retry-After, never a 500;
- after the start: how soon /readyz/ and the page answer normally again (recovery time).

    .venv/bin/python bench/health_drill.py [--outage 5] [--schema-from postgres://...]

Exits 1 if an expectation fails. The shared PostgreSQL on 5432 is never stopped or changed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import drill_db, pgcluster  # noqa: E402
from bench.server import Gunicorn  # noqa: E402

REDIS_URL = os.environ.get("DRILL_REDIS_URL", "redis://127.0.0.1:6379/5")
JAPANESE_503 = "ただいま利用できません"
PATHS = ("/readyz/", "/")


@dataclass
class Probe:
    at: float
    path: str
    status: int
    took: float
    retry_after: str | None
    japanese: bool


def probe(port: int, path: str) -> Probe:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "ja"})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        status, retry_after = response.status, response.getheader("Retry-After")
    except OSError:
        status, retry_after, body = 0, None, ""
    finally:
        connection.close()
    return Probe(started, path, status, time.monotonic() - started, retry_after, JAPANESE_503 in body)


def run_for(port: int, seconds: float, log: list[Probe], *, until=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in PATHS:
            log.append(probe(port, path))
        if until and until(log):
            return
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the database stays down (default 5)")
    parser.add_argument("--schema-from", help="a migrated database to copy the schema from (pg_dump)")
    args = parser.parse_args()
    failures: list[str] = []

    def check(ok: bool, label: str) -> None:
        print(f"    [{'PASS' if ok else 'FAIL'}] {label}")
        if not ok:
            failures.append(label)

    with pgcluster.primary_only() as cluster:
        print(f"==> own PostgreSQL cluster on 127.0.0.1:{cluster.port}; Redis {REDIS_URL}")
        url = drill_db.load_schema(cluster, schema_from=args.schema_from)
        env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_REDIS_URL": REDIS_URL}
        env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        env.pop("DATABASE_REPLICA_URL", None)
        manifest = ROOT / "bench" / "results" / "static" / "staticfiles.json"
        if not manifest.exists():
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
            )
        os.environ.update(env)
        server = Gunicorn(workers=2, log_path=ROOT / "bench" / "results" / "health-drill-gunicorn.log")
        try:
            server.start(timeout=180.0)  # a busy machine imports the workers slowly
            log: list[Probe] = []
            run_for(server.port, 2.0, log)
            before = [p for p in log]
            check(
                all(p.status == 200 for p in before if p.path == "/readyz/"),
                f"before: /readyz/ 200 on all {sum(p.path == '/readyz/' for p in before)} probes",
            )
            page_statuses = sorted({p.status for p in before if p.path == "/"})
            check(all(0 < s < 500 for s in page_statuses), f"before: the page answers {page_statuses}")

            stop_issued = time.monotonic()
            cluster.stop("fast")
            stopped = time.monotonic()
            outage: list[Probe] = []
            run_for(server.port, args.outage, outage)
            start_issued = time.monotonic()
            cluster.start()
            started = time.monotonic()
            after: list[Probe] = []

            def recovered(probes: list[Probe]) -> bool:
                return any(p.path == "/readyz/" and p.status == 200 for p in probes) and any(
                    p.path == "/" and 0 < p.status < 500 for p in probes
                )

            run_for(server.port, 30.0, after, until=recovered)
            run_for(server.port, 2.0, after)
        finally:
            server.stop()

    ready_down = [p for p in outage if p.path == "/readyz/"]
    pages_down = [p for p in outage if p.path == "/"]
    first_503 = next((p for p in ready_down if p.status == 503), None)
    print(f"==> database stopped (pg_ctl stop -m fast took {stopped - stop_issued:.2f} s); {args.outage:.0f} s outage")
    check(first_503 is not None and first_503.at - stopped < 1.0, (
        f"first /readyz/ 503 {((first_503.at + first_503.took) - stopped) if first_503 else float('nan'):.3f} s "
        "after the stop returned"
    ))  # fmt: skip
    check(
        all(p.status == 503 for p in ready_down),
        f"/readyz/ during the outage: {len(ready_down)} probes, statuses {sorted({p.status for p in ready_down})}, "
        f"slowest {max(p.took for p in ready_down):.3f} s",
    )
    check(max(p.took for p in ready_down) < 1.0, "every /readyz/ answer within 1 s")
    check(
        all(p.status == 503 and p.retry_after == "30" and p.japanese for p in pages_down),
        f"the page during the outage: {len(pages_down)} probes, statuses {sorted({p.status for p in pages_down})}, "
        f"Retry-After {sorted({str(p.retry_after) for p in pages_down})}, Japanese 503 page on "
        f"{sum(p.japanese for p in pages_down)}, median {statistics.median(p.took for p in pages_down):.3f} s, "
        f"slowest {max(p.took for p in pages_down):.3f} s",
    )
    every = before + outage + after
    check(not any(p.status >= 500 and p.status != 503 for p in every) and not any(p.status == 0 for p in every), (
        f"no 500 and no dropped connection in {len(every)} requests"
    ))  # fmt: skip
    ready_up = next((p for p in after if p.path == "/readyz/" and p.status == 200), None)
    page_up = next((p for p in after if p.path == "/" and 0 < p.status < 500), None)
    print(f"==> database started (pg_ctl start -w took {started - start_issued:.2f} s)")
    if ready_up and page_up:
        print(
            f"    recovery: /readyz/ 200 {ready_up.at + ready_up.took - started:.3f} s and the page "
            f"{page_up.status} {page_up.at + page_up.took - started:.3f} s after the database accepted connections "
            f"({ready_up.at + ready_up.took - start_issued:.3f} s after the start was issued)"
        )
    check(ready_up is not None and page_up is not None, "recovered without restarting gunicorn")
    tail = after[-20:]
    check(all(0 < p.status < 500 for p in tail), f"after recovery: statuses {sorted({p.status for p in tail})}")
    print(f"==> health drill {'FAILED: ' + '; '.join(failures) if failures else 'passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
