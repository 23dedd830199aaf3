"""Runs wrk against one target for a bounded time and parses the JSON line wrk_report.lua prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "wrk_report.lua"


@dataclass
class Target:
    """One endpoint under load: what to send and what every answer must be."""

    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: bytes = b""
    expected_status: int = 200
    must_contain: str = ""  # checked once before the run, in the body of one request
    content_type: str = ""
    user_pk: int | None = None  # logged-in user, for the in-process query count (force_login)
    # Prepared requests (bench.quiz.SubmitPool): each request takes the next one, with its own path,
    # cookie and body, and must be answered with expected_status and a Location equal to its path.
    pool: Any = None
    goal_percent: float | None = None  # the throughput it should reach, as a share of the bare view's
    goal_rps: float | None = None  # or in requests per second


@dataclass
class PoolRun:
    """What one wrk run did with the prepared requests it was given."""

    used: list  # sent, in the order each thread sent them
    unused: list  # not sent: to hand back to the pool
    ok_paths: list[str]  # answered with the expected status and their own path as Location
    answered: int  # requests sent that got an answer, as expected or not
    samples: list[str]  # a few unexpected answers, "status location"


@dataclass
class Result:
    requests: int
    duration_s: float
    unexpected: int
    errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    other_cores: float = 0.0  # CPU that processes outside the benchmark took meanwhile (machine.CpuMeter)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # ours, per process group (machine.CpuMeter)
    exhausted: int = 0  # requests a thread could not take from the prepared ones (pool too small)
    db_check: dict | None = None  # prepared requests: what the database says they did (bench.quiz)
    # With prepared requests run_wrk also sets `pool_run` (a PoolRun), kept out of the fields so
    # that last.json does not list every request.

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def failed(self) -> int:
        wrong = 0 if self.db_check is None or self.db_check["ok"] else 1
        return self.unexpected + sum(self.errors.values()) + self.exhausted + wrong


def wrk_ensure() -> str:
    """Path of wrk; installs Debian's package when it is missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk")
        if subprocess.run(["apt-get", "install", "-y", "wrk"], check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], check=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    return found


def _write_prepared(directory: Path, chunks: list[list]) -> str:
    """One file per wrk thread, "<prefix>.<n>": path TAB Cookie TAB body per line."""
    prefix = directory / "requests"
    for number, chunk in enumerate(chunks, start=1):
        with open(f"{prefix}.{number}", "w", encoding="ascii") as out:
            for prepared in chunk:
                body = prepared.body.decode("ascii")
                if any(c in field for field in (prepared.path, prepared.cookie, body) for c in "\t\n"):
                    raise ValueError(f"a prepared request holds a tab or newline: {prepared.path}")
                out.write(f"{prepared.path}\t{prepared.cookie}\t{body}\n")
    return str(prefix)


def run_wrk(base_url: str, target: Target, *, seconds: float, connections: int, threads: int) -> Result:
    wrk = wrk_ensure()
    chunks: list[list] = []
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as directory:
        body_path = Path(directory) / "body"
        body_path.write_bytes(target.body)
        prepared = ""
        if target.pool is not None:
            # Everything the pool can spare, split between the threads (each connection is one
            # thread's); what is not sent goes back to the pool afterwards.
            given = target.pool.take(target.pool.spare())
            size = len(given) // threads
            if size < 1:
                raise RuntimeError(f"{target.name}: the pool has no prepared request to spare")
            chunks = [given[i * size : (i + 1) * size] for i in range(threads)]
            target.pool.give_back(given[threads * size :])
            prepared = _write_prepared(Path(directory), chunks)
        command = [wrk, "--threads", str(threads), "--connections", str(connections)]
        command += ["--duration", f"{max(1, round(seconds))}s", "--timeout", "10s", "--script", str(LUA)]
        for name, value in target.headers.items():
            command += ["--header", f"{name}: {value}"]
        url = base_url + ("/" if target.pool is not None else target.path)  # prepared requests bring their own
        command += [url, "--", str(target.expected_status), target.method]
        command += [str(body_path) if target.body else "", prepared]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("WRK_RESULT "))
    result = Result(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        unexpected=data["unexpected_status"],
        errors={k: data[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")},
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
    if chunks:
        reports = data["pool"]
        result.exhausted = sum(r["exhausted"] for r in reports)
        # Only the prepared requests count: not the /healthz/ a thread sent once out of them.
        result.requests = sum(r["answered"] for r in reports)
        result.pool_run = PoolRun(
            used=[p for chunk, r in zip(chunks, reports, strict=True) for p in chunk[: r["sent"]]],
            unused=[p for chunk, r in zip(chunks, reports, strict=True) for p in chunk[r["sent"] :]],
            ok_paths=[path for r in reports for path in r["ok_paths"]],
            answered=sum(r["answered"] for r in reports),
            samples=[sample for r in reports for sample in r["samples"]],
        )
    return result
