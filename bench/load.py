"""A small HTTP/1.1 load generator for the benchmarks: keep-alive connections replaying
prepared requests as fast as the server answers, run in a process of its own.

It is deliberately minimal (no parsing beyond status line and Content-Length) so that its
own cost stays far below the server's; the same generator drives the bare endpoint and the
endpoints measured against it, so their ratio is fair.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    latencies: tuple[float, ...] = ()

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        """Seconds within which ``share`` of the responses came (e.g. 0.95)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def http_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """Raw request bytes for a keep-alive connection to 127.0.0.1."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Feed:
    """Hands out requests: round-robin for ever, or each one once."""

    def __init__(self, requests: Sequence[bytes], repeat: bool) -> None:
        self.requests = requests
        self.repeat = repeat
        self.next = 0

    def take(self) -> bytes | None:
        if not self.repeat and self.next >= len(self.requests):
            return None
        request = self.requests[self.next % len(self.requests)]
        self.next += 1
        return request


async def _connection(
    port: int, feed: _Feed, stop: float, statuses: Counter[int], latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.perf_counter() < stop:
            request = feed.take()
            if request is None:
                break
            sent = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            statuses[int(status_line.split(b" ", 2)[1])] += 1
            latencies.append(time.perf_counter() - sent)
            done += 1
    finally:
        writer.close()
    return done


async def _drive(
    port: int, requests: Sequence[bytes], connections: int, seconds: float, repeat: bool
) -> LoadResult:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    feed = _Feed(requests, repeat)
    start = time.perf_counter()
    stop = start + seconds
    counts = await asyncio.gather(
        *(_connection(port, feed, stop, statuses, latencies) for _ in range(connections))
    )
    elapsed = time.perf_counter() - start
    return LoadResult(sum(counts), elapsed, dict(statuses), tuple(latencies))


def _run(
    port: int,
    requests: Sequence[bytes],
    connections: int,
    seconds: float,
    repeat: bool,
    out: multiprocessing.Queue[LoadResult],
) -> None:
    import uvloop

    out.put(uvloop.run(_drive(port, requests, connections, seconds, repeat)))


def drive(
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int = 32,
    seconds: float = 5.0,
    repeat: bool = True,
) -> LoadResult:
    """Send ``requests`` on ``connections`` keep-alive connections for up to ``seconds``
    (round-robin for the whole time, or each request once when ``repeat`` is false), from a
    separate process; the result counts completed responses by status."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[LoadResult] = context.Queue()
    process = context.Process(
        target=_run, args=(port, list(requests), connections, seconds, repeat, queue)
    )
    process.start()
    result = queue.get(timeout=seconds + 60)
    process.join()
    return result
