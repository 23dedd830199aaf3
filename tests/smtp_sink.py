"""A real SMTP server for the worker drills (aiosmtpd): accepts every message and appends one line
per accepted message (its recipients) to a file, flushed before the 250 reply, so whoever reads
the file counts exactly the mails the server accepted. `--delay` slows each DATA reply so a drill
can kill the sender mid-run.

    python tests/smtp_sink.py --port 2525 --out /tmp/mails.txt [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


class Recorder:
    def __init__(self, out: Path, delay: float):
        self.out, self.delay = out, delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.out.open("a", encoding="utf-8") as handle:
            handle.write(",".join(sorted(envelope.rcpt_tos)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return "250 Message accepted for delivery"


def main() -> None:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    args.out.touch()
    controller = Controller(Recorder(args.out, args.delay), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = False

    def _stop(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop:
        time.sleep(0.1)
    controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Start the sink as a separate process on a free port; `accepted()` lists what it accepted."""

    def __init__(self, out: Path, *, delay: float = 0.0):
        self.out, self.port = out, free_port()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--port", str(self.port), "--out", str(out), "--delay", str(delay)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def accepted(self) -> list[str]:
        return [line for line in self.out.read_text(encoding="utf-8").splitlines() if line]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


if __name__ == "__main__":
    main()
