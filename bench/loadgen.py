"""Runs wrk against one target for a bounded time and parses the JSON line wrk_report.lua prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

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

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def failed(self) -> int:
        return self.unexpected + sum(self.errors.values())


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


def run_wrk(base_url: str, target: Target, *, seconds: float, connections: int, threads: int) -> Result:
    wrk = wrk_ensure()
    with tempfile.NamedTemporaryFile(prefix="bench-body-", delete=True) as body_file:
        body_file.write(target.body)
        body_file.flush()
        command = [wrk, "--threads", str(threads), "--connections", str(connections)]
        command += ["--duration", f"{max(1, round(seconds))}s", "--timeout", "10s", "--script", str(LUA)]
        for name, value in target.headers.items():
            command += ["--header", f"{name}: {value}"]
        command += [base_url + target.path, "--", str(target.expected_status), target.method]
        command += [body_file.name if target.body else ""]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("WRK_RESULT "))
    return Result(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        unexpected=data["unexpected_status"],
        errors={k: data[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")},
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
