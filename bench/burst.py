"""A burst of quiz submits: many people send the form at the same moment. All connections are
opened first; then every request is written at once and each answer timed from that release."""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TIMEOUT_S = 60.0


@dataclass
class BurstResult:
    users: int
    wall_s: float  # from the release to the last answer
    latencies_s: list[float]  # per answered request, from the release
    statuses: dict[str, int]  # "302 own attempt", "302 elsewhere", "403", "error: ...", ...
    answered_ok: list = field(default_factory=list)  # submits answered 302 to their own attempt
    unanswered: list[str] = field(default_factory=list)  # paths of the requests that got no answer
    db_check: dict | None = None

    @property
    def errors(self) -> int:
        return self.users - len(self.answered_ok)

    def percentile(self, p: float) -> float:
        if not self.latencies_s:
            return 0.0
        if len(self.latencies_s) == 1:
            return self.latencies_s[0]
        return statistics.quantiles(self.latencies_s, n=100, method="inclusive")[int(p) - 1]


def _raw_request(netloc: str, submit, headers: dict[str, str]) -> bytes:
    lines = [f"POST {submit.path} HTTP/1.1", f"Host: {netloc}", f"Cookie: {submit.cookie}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(submit.body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + submit.body


async def _burst(base_url: str, submits: list, headers: dict[str, str]) -> BurstResult:
    parts = urlsplit(base_url)
    opened = await asyncio.gather(
        *(asyncio.open_connection(parts.hostname, parts.port) for _ in submits), return_exceptions=True
    )
    requests = [_raw_request(parts.netloc, submit, headers) for submit in submits]
    loop = asyncio.get_running_loop()

    async def exchange(connection, request: bytes, released: float):
        if isinstance(connection, BaseException):
            return f"error: connect {type(connection).__name__}", None, None
        reader, writer = connection
        try:
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), TIMEOUT_S)  # sync workers close after answering
            answered = loop.time() - released
        except (OSError, TimeoutError) as exc:
            return f"error: {type(exc).__name__}", None, None
        finally:
            writer.close()
        head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = head[0].split(" ")[1] if head and head[0].startswith("HTTP/") else "?"
        location = next((h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("location:")), None)
        return status, location, answered

    # The release: every request written in one pass of the loop, before any answer is read.
    released = loop.time()
    for connection, request in zip(opened, requests, strict=True):
        if not isinstance(connection, BaseException):
            connection[1].write(request)
    answers = await asyncio.gather(
        *(exchange(c, r, released) for c, r in zip(opened, requests, strict=True)), return_exceptions=False
    )
    elapsed = loop.time() - released

    statuses: dict[str, int] = {}
    latencies, answered_ok, unanswered = [], [], []
    for submit, (status, location, seconds) in zip(submits, answers, strict=True):
        if seconds is not None:
            latencies.append(seconds)
        else:
            unanswered.append(submit.path)
        if status == "302" and location == submit.path:
            key = "302 to its own attempt"
            answered_ok.append(submit)
        elif status == "302":
            key = f"302 to {location}"
        else:
            key = status
        statuses[key] = statuses.get(key, 0) + 1
    # To the last answer; if some never came, until the last request gave up.
    wall = max(latencies) if len(latencies) == len(submits) else elapsed
    return BurstResult(
        users=len(submits),
        wall_s=wall,
        latencies_s=latencies,
        statuses=statuses,
        answered_ok=answered_ok,
        unanswered=unanswered,
    )


def run(base_url: str, submits: list, headers: dict[str, str]) -> BurstResult:
    """`submits`: one per person, all different. `headers`: Origin and Content-Type, as the form sends."""
    return asyncio.run(_burst(base_url, submits, headers))
