"""An open-loop HTTP poller: GET one path at a fixed rate over keep-alive connections.

Requests leave on schedule whether or not earlier ones have answered, and each latency is
measured from the request's scheduled time, so a server that falls behind shows it (no
coordinated omission). A few lines of asyncio instead of an HTTP library, so the poller costs
the machine far less than the server it measures.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

MAX_CONNECTIONS = 512  # a stall shows as latency, not as a client-side error
REQUEST_TIMEOUT_S = 5.0


@dataclass
class PollResult:
    latencies_s: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: list[tuple[float, str]] = field(default_factory=list)  # (monotonic, run status)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        return status, await self.reader.readexactly(length)


async def _poll(host: str, port: int, path: str, rate: float, seconds: float) -> PollResult:
    result = PollResult()
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()
    idle: list[_Connection] = []
    opened = 0

    async def one(scheduled: float) -> None:
        nonlocal opened
        # A reused connection may have been closed by the server while idle (its keep-alive
        # timeout): like any HTTP client, send the GET again once on a new connection.
        for reused in (True, False):
            connection = idle.pop() if idle and reused else None
            try:
                if connection is None:
                    if opened >= MAX_CONNECTIONS:
                        result.error("no free connection")
                        return
                    opened += 1
                    connection = _Connection(*await asyncio.open_connection(host, port))
                deadline = REQUEST_TIMEOUT_S - (time.monotonic() - scheduled)
                status, body = await asyncio.wait_for(connection.get(request), deadline)
                break
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
                if connection is not None:
                    connection.writer.close()
                    opened -= 1
                stale = reused and isinstance(error, asyncio.IncompleteReadError | OSError)
                if not stale:
                    result.error(type(error).__name__)
                    return
        done = time.monotonic()
        assert connection is not None  # the loop either answered or returned
        idle.append(connection)
        if status != 200:
            result.error(f"HTTP {status}")
            return
        result.latencies_s.append(done - scheduled)
        result.statuses.append((done, json.loads(body)["status"]))

    start = time.monotonic()
    tasks = []
    count = int(rate * seconds)
    for index in range(count):
        scheduled = start + index / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.writer.close()
    return result


def poll(url: str, path: str, rate: float, seconds: float) -> PollResult:
    """GET `url + path` `rate` times a second for `seconds` seconds."""
    host_port = url.split("://", 1)[1].rstrip("/")
    host, _, port = host_port.partition(":")
    try:
        import uvloop  # uvicorn's loop: the poller then costs about half the CPU

        return uvloop.run(_poll(host, int(port or 80), path, rate, seconds))
    except ImportError:
        return asyncio.run(_poll(host, int(port or 80), path, rate, seconds))
