"""Helpers shared by the benchmark families: isolated workloads, peak RSS, servers, BENCH lines."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"


class Skipped(Exception):
    """A benchmark that cannot run here (no server); `__main__` prints `BENCH-SKIPPED name: why`."""


@dataclass(frozen=True)
class Options:
    """What the command line lets a user change; `None` means the benchmark's own default."""

    rows: int | None = None
    baseline_rows: int | None = None
    repeats: int | None = None


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_isolated(target: str, **params: Any) -> dict[str, Any]:
    """Run `benchmarks.<module>:<function>(**params)` in a fresh interpreter and return its result.

    A fresh process per workload keeps each peak RSS its own: the baseline's
    memory never counts against the project's, nor the other way round.
    """
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "benchmarks._worker", target, json.dumps(params), str(out)]
        subprocess.run(command, cwd=REPO_ROOT, check=True)
        return json.loads(out.read_text())


def rate(rows: int, seconds: float) -> int:
    return round(rows / seconds) if seconds > 0 else 0


def say(message: str) -> None:
    """A human-readable progress line (BENCH lines come last)."""
    print(message, flush=True)


def bench_line(record: dict[str, Any]) -> str:
    return "BENCH " + json.dumps(record)


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def postgres_server_url() -> str:
    """A libpq URL of a PostgreSQL server that may create databases, or `Skipped`.

    `DWSIM_BENCH_POSTGRES_URL` when set, else the server on 127.0.0.1:5432 if it answers.
    """
    import psycopg2

    configured = os.environ.get("DWSIM_BENCH_POSTGRES_URL")
    url = configured or DEFAULT_POSTGRES_URL
    if url.startswith("postgresql+"):  # a SQLAlchemy spelling: libpq wants the bare scheme
        url = "postgresql://" + url.split("://", 1)[1]
    try:
        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.Error as error:
        where = "(DWSIM_BENCH_POSTGRES_URL)" if configured else "(DWSIM_BENCH_POSTGRES_URL not set)"
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Skipped(
            f"PostgreSQL at {redacted(url)} {where} does not answer: {message}; "
            "set DWSIM_BENCH_POSTGRES_URL to a server whose user may create databases"
        ) from error
    return url


def redis_server_url() -> str:
    """A `redis://host:port` URL (no database number) that answers PING, or `Skipped`.

    `DWSIM_BENCH_REDIS_URL` when set, else the server on 127.0.0.1:6379.
    """
    import redis

    given = urlsplit(os.environ.get("DWSIM_BENCH_REDIS_URL") or DEFAULT_REDIS_URL)
    url = urlunsplit(given._replace(path=""))  # the benchmark picks the database number
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5).ping()
    except redis.RedisError as error:
        raise Skipped(
            f"Redis at {redacted(url)} does not answer: {error}; "
            "set DWSIM_BENCH_REDIS_URL to a running server"
        ) from error
    return url
