"""How busy the machine is: the benchmark shares 2 cores with whatever else runs, so it says how much
CPU other processes took while it measured."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return idle, sum(fields)


def idle_percent(seconds: float = 1.0) -> float:
    """Share of all cores left idle over the next `seconds`."""
    idle_before, total_before = _cpu_times()
    time.sleep(seconds)
    idle_after, total_after = _cpu_times()
    total = total_after - total_before
    return 100.0 * (idle_after - idle_before) / total if total else 100.0


def describe() -> str:
    load1, load5, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load1:.2f} (1 min) {load5:.2f} (5 min)"


def _process_ticks(is_ours: Callable[[int, str], bool]) -> dict[int, tuple[int, str]]:
    """utime + stime, and the command line, of the processes that belong to the measurement."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if is_ours(pid, cmdline):
            fields = stat.rsplit(")", 1)[1].split()
            ticks[pid] = (int(fields[11]) + int(fields[12]), cmdline)
    return ticks


class CpuMeter:
    """CPU used by other processes while a measurement runs, in cores (1.0 = one core busy), and
    the CPU seconds of each of ours (`seconds`: server, PostgreSQL, Redis, load generator).

    Ours: the server's processes, PostgreSQL backends of the bench database, Redis, this process
    and the children it waits for (wrk). Everything else that kept a core busy is "other".
    """

    GROUPS = ("server", "PostgreSQL", "Redis", "wrk")

    def __init__(self, server_pids: Callable[[], list[int]], database: str):
        self.server_pids = server_pids
        self.database = database
        self.seconds: dict[str, float] = {}

    def _group(self, pid: int, cmdline: str) -> str | None:
        if pid in self._pids:
            return "server"
        if f" {self.database} " in cmdline:
            return "PostgreSQL"
        if cmdline.startswith("redis-server"):
            return "Redis"
        if pid == os.getpid():
            return "bench"
        return None

    def _is_ours(self, pid: int, cmdline: str) -> bool:
        return self._group(pid, cmdline) is not None

    def __enter__(self):
        self._pids = set(self.server_pids())
        self._started = time.monotonic()
        self._idle, self._total = _cpu_times()
        self._ticks = _process_ticks(self._is_ours)
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc):
        idle, total = _cpu_times()
        ticks = _process_ticks(self._is_ours)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        elapsed = time.monotonic() - self._started
        busy = ((total - self._total) - (idle - self._idle)) / TICK
        self.seconds = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (t, cmdline) in ticks.items():
            group = self._group(pid, cmdline)
            if group in self.seconds:
                self.seconds[group] += (t - self._ticks.get(pid, (0, ""))[0]) / TICK
        self.seconds["wrk"] = (children.ru_utime + children.ru_stime) - (
            self._children.ru_utime + self._children.ru_stime
        )
        ours = sum(t - self._ticks.get(pid, (0, ""))[0] for pid, (t, _) in ticks.items()) / TICK
        ours += self.seconds["wrk"]
        self.other_cores = max(0.0, busy - ours) / elapsed if elapsed else 0.0
        return False
