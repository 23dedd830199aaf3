"""The PostgreSQL restart drill (decision 0034): bench/drill_worker.py starts a cluster of its own
on a free port (initdb + pg_ctl as user postgres; the shared server is never touched), a real
worker and a real SMTP server process, and stops and starts PostgreSQL in the middle of the
reminder run. The worker must stay up and finish with no mail lost and at most one twice."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not Path("/usr/lib/postgresql/15/bin/initdb").exists(), reason="needs PostgreSQL 15's initdb")
@pytest.mark.skipif(shutil.which("runuser") is None, reason="needs runuser to start PostgreSQL as postgres")
def test_the_worker_survives_a_postgresql_restart_and_finishes():
    result = subprocess.run(
        [sys.executable, "bench/drill_worker.py", "--scenario", "pg-restart", "--mails", "40"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "worker still running afterwards: True" in out
    assert re.search(r"mails expected 40, accepted 4[01], distinct 40, duplicated [01], lost 0", out), out
    assert "rows checked with SQL: 40 logged sent, 0 logged unsent" in out
