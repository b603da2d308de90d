"""The `api` family: `api.poll`, the gateway under status polling while a large run is active.

The distributed path as the e2e family runs it, with S3 through a moto server: PostgreSQL
state, Redis broker, the Redshift mock, one generator and one loader worker. The same
run (an `orders_wide` table, 10M rows by default) is generated twice on the same stack: once
alone, once while its status is polled at 200 requests/s for 30 s. The figures: poll latency
p50/p99 (from each request's scheduled time), errors, and the run's server-side wall time
(created -> finished) with and without the load. Targets: 0 errors, p99 < 50 ms, slowdown < 10%.
`--repeats N` alternates N runs of each and compares medians (other load on the machine makes
single runs drift); `--rows` sets the run's size.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx

from benchmarks.e2e import distributed_env
from benchmarks.generate import EXPERIMENTS
from benchmarks.measure import Options, postgres_server_url, redis_server_url, say
from benchmarks.poller import poll
from dwsim_shared.devstack import Stack
from dwsim_shared.testing import servers

ROWS = 10_000_000
SHARD_SIZE = 1_000_000
RATE = 200.0
SECONDS = 30.0
REDIS_DB = int(os.environ.get("DWSIM_BENCH_POLL_REDIS_DB", "15"))
AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextlib.contextmanager
def _s3_bucket() -> Iterator[dict[str, str]]:
    import boto3

    for key, value in AWS.items():
        os.environ.setdefault(key, value)
    with servers.moto_s3_server() as endpoint:
        bucket = f"dwsim-bench-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket
        )
        yield {"DWSIM_OBJECT_STORE": f"s3://{bucket}", "DWSIM_S3_ENDPOINT_URL": endpoint, **AWS}


def _document(name: str, rows: int) -> dict[str, Any]:
    import json

    document: dict[str, Any] = json.loads((EXPERIMENTS / "orders_wide.json").read_text())
    document["name"] = name
    document["tables"][0]["target_rows"] = rows
    return document


def _submit(client: httpx.Client, name: str, rows: int) -> str:
    created = client.post("/api/experiments", json=_document(name, rows))
    if created.status_code != 201:
        raise RuntimeError(f"creating {name}: {created.status_code} {created.text}")
    submitted = client.post(f"/api/experiments/{name}/generate", json={"shard_size": SHARD_SIZE})
    if submitted.status_code != 202:
        raise RuntimeError(f"submitting {name}: {submitted.status_code} {submitted.text}")
    link: str = submitted.json()["links"]["run"]
    return link


def _finish(client: httpx.Client, link: str, stack: Stack) -> float:
    """Wait for the run; its server-side seconds from created to finished."""
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        run = client.get(link).json()
        if run["status"] == "COMPLETED":
            created = datetime.fromisoformat(run["created_at"])
            return (datetime.fromisoformat(run["finished_at"]) - created).total_seconds()
        if run["status"] in ("FAILED", "ABORTED"):
            logs = "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in stack.processes)
            raise RuntimeError(f"{link} {run['status']}: {run['error']}\n{logs}")
        time.sleep(0.5)
    raise RuntimeError(f"{link} not final after an hour")


def api_poll(options: Options) -> list[dict[str, Any]]:
    postgres = postgres_server_url()  # `Skipped` when no PostgreSQL answers
    broker = f"{redis_server_url()}/{REDIS_DB}"
    rows = options.rows or ROWS
    say(
        f"api.poll: {rows:,} rows (shards of {SHARD_SIZE:,}) on the distributed path "
        f"(PostgreSQL state, Redis, moto S3, Redshift mock), alone and under {RATE:g} polls/s "
        f"for {SECONDS:g} s ..."
    )
    with distributed_env(postgres, broker) as env, _s3_bucket() as s3:
        env = {**env, **s3}
        with (
            Stack(env=env, generator_workers=1, loader_workers=1) as stack,
            httpx.Client(base_url=stack.url, timeout=60) as client,
        ):
            _finish(client, _submit(client, "warmup", 200_000), stack)  # workers' imports
            alone_runs, polled_runs, results = [], [], []
            for repeat in range(options.repeats or 1):  # alternated: drift hits both alike
                alone_runs.append(_finish(client, _submit(client, f"alone_{repeat}", rows), stack))
                say(f"  alone: {alone_runs[-1]:.2f} s")
                link = _submit(client, f"polled_{repeat}", rows)
                results.append(poll(stack.url, link, RATE, SECONDS))
                polled_runs.append(_finish(client, link, stack))
                say(f"  polled: {polled_runs[-1]:.2f} s")
    alone, polled = statistics.median(alone_runs), statistics.median(polled_runs)
    result = results[0]
    for more in results[1:]:
        result.latencies_s += more.latencies_s
        result.statuses += more.statuses
        for kind, count in more.errors.items():
            result.errors[kind] = result.errors.get(kind, 0) + count
    active = sum(1 for _, status in result.statuses if status in ("QUEUED", "RUNNING"))
    errors = sum(result.errors.values())
    p50, p99 = result.percentile(0.5) * 1000, result.percentile(0.99) * 1000
    slowdown = polled / alone - 1 if alone else float("nan")
    say(
        f"  median polled {polled:.2f} s, alone {alone:.2f} s; {len(result.latencies_s):,} answers ({active:,} while "
        f"active), p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {result.errors or 0}"
    )
    return [
        {
            "name": "api.poll",
            "rows": rows,
            "rate_per_s": RATE,
            "seconds": SECONDS,
            "requests": int(RATE * SECONDS) * len(results),
            "repeats": len(results),
            "answers": len(result.latencies_s),
            "answers_while_active": active,
            "errors": errors,
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "run_seconds_alone": round(alone, 2),
            "run_seconds_polled": round(polled, 2),
            "slowdown": round(slowdown, 3),
            "targets": {"errors": 0, "p99_ms": 50, "slowdown": 0.10},
        }
    ]


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {"api.poll": api_poll}
