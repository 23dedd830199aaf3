"""Throw-away PostgreSQL 15 clusters for drills and tests (decision 0036): a primary of one's own on
a free port and a streaming replica made from it with `pg_basebackup -R`. Nothing here touches the
shared cluster on 5432. Run as root (the server runs as user postgres) or as postgres itself.

    with primary_and_replica() as (primary, replica):
        primary.url("sns")   # postgres://postgres@127.0.0.1:<port>/sns

`fsync` is off: these clusters hold nothing worth keeping and the machine is shared.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def available() -> bool:
    return (BIN / "initdb").exists() and (os.geteuid() == 0 or pwd.getpwuid(os.geteuid()).pw_name == "postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


@dataclass
class Cluster:
    directory: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _as_postgres(
            [str(BIN / "pg_ctl"), "-D", str(self.directory), "-l", str(self.directory / "server.log"), "-w", "start"]
        )

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.directory), "-m", mode, "-w", "stop"])

    def running(self) -> bool:
        return (self.directory / "postmaster.pid").exists()

    def psql(self, sql: str, database: str = "postgres") -> str:
        """One statement's result as text (unaligned, tuples only)."""
        result = subprocess.run(
            [str(BIN / "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.url(database), "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    def configure(self, **settings: str) -> None:
        lines = "".join(f"{key} = '{value}'\n" for key, value in settings.items())
        with open(self.directory / "postgresql.auto.conf", "a") as conf:
            conf.write(lines)


def _workdir(prefix: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.chown(directory, "postgres", "postgres") if os.geteuid() == 0 else None
    return directory


def _settings(port: int, directory: Path) -> dict[str, str]:
    return {
        "port": str(port),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(directory),
        "fsync": "off",
        "shared_buffers": "32MB",
        "max_connections": "40",
    }


def init_primary() -> Cluster:
    """A new cluster (trust authentication for local and replication connections), started."""
    root = _workdir("sns-pg-primary-")
    cluster = Cluster(root / "data", free_port())
    _as_postgres([str(BIN / "initdb"), "-D", str(cluster.directory), "-U", "postgres", "-A", "trust", "-E", "UTF8"])
    cluster.configure(**_settings(cluster.port, cluster.directory), wal_level="replica", max_wal_senders="4")
    cluster.start()
    return cluster


def init_replica(primary: Cluster) -> Cluster:
    """A hot standby streaming from `primary` (pg_basebackup -R writes standby.signal and
    primary_conninfo), started."""
    root = _workdir("sns-pg-replica-")
    replica = Cluster(root / "data", free_port())
    _as_postgres(
        [
            str(BIN / "pg_basebackup"),
            "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.directory), "-R", "-X", "stream", "-c", "fast",
        ]
    )  # fmt: skip
    replica.configure(**_settings(replica.port, replica.directory), hot_standby="on")
    replica.start()
    return replica


def remove(cluster: Cluster) -> None:
    with contextlib.suppress(subprocess.CalledProcessError):
        if cluster.running():
            cluster.stop("immediate")
    shutil.rmtree(cluster.directory.parent, ignore_errors=True)


def wait_for_replay(primary: Cluster, replica: Cluster, timeout: float = 30.0) -> float:
    """Seconds until the replica has replayed everything the primary has written so far."""
    started = time.monotonic()
    target = primary.psql("SELECT pg_current_wal_lsn()")
    while time.monotonic() - started < timeout:
        if replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"the replica did not replay up to {target} within {timeout} s")


@contextlib.contextmanager
def primary_only() -> Iterator[Cluster]:
    primary = init_primary()
    try:
        yield primary
    finally:
        remove(primary)


@contextlib.contextmanager
def primary_and_replica() -> Iterator[tuple[Cluster, Cluster]]:
    primary = init_primary()
    replica = None
    try:
        replica = init_replica(primary)
        yield primary, replica
    finally:
        if replica is not None:
            remove(replica)
        remove(primary)
