"""The `e2e` family: a three-table foreign-key schema through the real services.

Gateway, query service, generator and loader workers run as processes
(`dwsim_shared.devstack.Stack`) on the distributed path: PostgreSQL state DB,
Redis broker, the PostgreSQL Redshift mock, and a local object-store folder
(`file://`, so the figure leaves S3 emulation out). The experiment is created
and generated over HTTP; the time runs from the generate request to the poll
that sees the run COMPLETED.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import redis

from benchmarks.generate import EXPERIMENTS
from benchmarks.measure import (
    Options,
    postgres_server_url,
    rate,
    redacted,
    redis_server_url,
    run_isolated,
    say,
)
from dwsim_shared.devstack import Stack
from dwsim_shared.testing.servers import scratch_database

CUSTOMERS = 100_000  # the spec's full size is 1,000,000 (`--rows 1000000`)
SCALE = {"customers": 1, "orders": 3, "order_items": 6}
SHARD_SIZE = 100_000  # several shards per table, for the workers to share
WORKER_SETUPS = (1, 2)  # generator and loader workers, each `--concurrency 1`
REDIS_DB = 13
POLL_S = 0.2
RUN_TIMEOUT_S = 3600


def experiment_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXPERIMENTS / "fk_schema.json").read_text())
    return document


@contextlib.contextmanager
def distributed_env(postgres: str, broker: str) -> Iterator[dict[str, str]]:
    """Fresh state and warehouse databases, an emptied Redis database and a temporary home.

    Everything is dropped or emptied on the way out, whatever happened.
    """
    client = redis.Redis.from_url(broker)
    client.flushdb()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="dwsim-bench-e2e-") as home,
            scratch_database(postgres, "dwsim_bench_state") as state_url,
            scratch_database(postgres, "dwsim_bench_redshift") as redshift_url,
        ):
            yield {
                "DWSIM_HOME": home,
                "DWSIM_STATE_URL": state_url,
                "DWSIM_BROKER_URL": broker,
                "DWSIM_OBJECT_STORE": f"file://{Path(home) / 'objects'}",
                "DWSIM_REDSHIFT_URL": redshift_url,
                "DWSIM_DEFAULT_WAREHOUSE": "redshift",
            }
    finally:
        client.flushdb()
        client.close()


def _logs(stack: Stack, lines: int = 20) -> str:
    return "\n".join(f"--- {p.name}\n{p.tail(lines)}" for p in stack.processes)


def wait_run(client: httpx.Client, link: str, stack: Stack) -> dict[str, Any]:
    """Poll the run until it is final; FAILED, ABORTED or a timeout raise with the services' logs."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = client.get(link)
        answer.raise_for_status()
        run: dict[str, Any] = answer.json()
        if run["status"] == "COMPLETED":
            return run
        if run["status"] in ("FAILED", "ABORTED"):
            raise RuntimeError(
                f"run {run['run_id']} {run['status']}: {run['error']}\n{_logs(stack)}"
            )
        time.sleep(POLL_S)
    raise RuntimeError(f"run not final after {RUN_TIMEOUT_S} s\n{_logs(stack)}")


def run_once(postgres: str, broker: str, workers: int, rows: dict[str, int]) -> dict[str, Any]:
    """One stack with `workers` generator and `workers` loader workers; one timed run."""
    with distributed_env(postgres, broker) as env:
        stack = Stack(
            env=env, generator_workers=workers, loader_workers=workers,
            generator_concurrency=1, loader_concurrency=1,
        )  # fmt: skip
        stack.start()
        try:
            with httpx.Client(base_url=stack.url, timeout=60) as client:
                document = experiment_document()
                created = client.post("/api/experiments", json=document)
                if created.status_code != 201:
                    raise RuntimeError(
                        f"creating the experiment: {created.status_code} {created.text}"
                    )
                started = time.perf_counter()
                submitted = client.post(
                    f"/api/experiments/{document['name']}/generate",
                    json={"rows": rows, "shard_size": SHARD_SIZE},
                )
                if submitted.status_code != 202:
                    raise RuntimeError(
                        f"submitting the run: {submitted.status_code} {submitted.text}"
                    )
                run = wait_run(client, submitted.json()["links"]["run"], stack)
                seconds = time.perf_counter() - started
        finally:
            stack.stop()
    loaded = run["totals"]["loaded_rows"]
    if loaded != sum(rows.values()):
        raise RuntimeError(f"the run loaded {loaded:,} rows, not {sum(rows.values()):,}")
    return {"seconds": seconds, "rows": loaded, "run": run}


def bound_workload(url: str, rows: dict[str, int]) -> dict[str, Any]:
    """The same rows generated alone (the generator's Parquet path, one thread) and loaded alone
    (raw binary COPY of each shard into an empty twin schema): the time the pipeline's two
    halves need on their own, which the services' wall time is compared with."""
    from benchmarks.load import raw_binary_copy
    from dwsim_shared.experiment_checks import parse_experiment
    from dwsim_shared.generation.shard import write_rows_parquet
    from dwsim_shared.settings import Settings
    from dwsim_shared.warehouses import make_warehouse

    experiment = parse_experiment({**experiment_document(), "name": "bench_fk_bound"})
    warehouse = make_warehouse("redshift", Settings(redshift_url=url))
    warehouse.prepare(experiment)
    generate_s = load_s = 0.0
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-bound-") as tmp:
        for table in experiment.tables:
            target = warehouse.physical_table(experiment.name, table.name).sql(dialect="postgres")
            columns = ", ".join(f'"{c.name.lower()}"' for c in table.columns)
            for index, start in enumerate(range(0, rows[table.name], SHARD_SIZE)):
                path = Path(tmp) / f"{table.name}-{index}.parquet"
                started = time.perf_counter()
                write_rows_parquet(
                    experiment, table.name, path, seed=1, row_start=start,
                    row_count=min(SHARD_SIZE, rows[table.name] - start), row_targets=rows,
                )  # fmt: skip
                generate_s += time.perf_counter() - started
                load_s += raw_binary_copy(url, target, columns, path)[0]
                path.unlink()
    return {"generate_s": generate_s, "load_s": load_s}


def _server_seconds(
    run: dict[str, Any], start: str = "created_at", end: str = "finished_at"
) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(run[end]) - datetime.fromisoformat(run[start])).total_seconds()


def _report_seconds(run: dict[str, Any]) -> float | None:
    """Published -> finished (server clock): the validation report's share of the wall time (the
    data is live and queryable from `published_at` on)."""
    if not run.get("published_at"):
        return None
    return round(_server_seconds(run, "published_at", "finished_at"), 2)


def fk_schema(options: Options) -> list[dict[str, Any]]:
    postgres = postgres_server_url()  # `Skipped` when no PostgreSQL answers
    broker = f"{redis_server_url()}/{REDIS_DB}"  # `Skipped` when no Redis answers
    customers = options.rows or CUSTOMERS
    rows = {table: customers * factor for table, factor in SCALE.items()}
    total = sum(rows.values())
    say(
        "e2e.fk_schema: "
        + " -> ".join(f"{table} {count:,}" for table, count in rows.items())
        + f" rows, shards of {SHARD_SIZE:,}, into the Redshift mock through the services "
        f"(PostgreSQL {redacted(postgres)}, Redis {redacted(broker)}, file:// object store) ..."
    )
    results: dict[int, dict[str, Any]] = {}
    for workers in WORKER_SETUPS:
        say(f"  {workers} generator + {workers} loader worker(s), --concurrency 1 ...")
        result = run_once(postgres, broker, workers, rows)
        results[workers] = result
        say(
            f"    {result['seconds']:.2f} s from submit to COMPLETED "
            f"(server: created -> finished {_server_seconds(result['run']):.2f} s, of which "
            f"published -> finished, the report, {_report_seconds(result['run'])} s), "
            f"{rate(total, result['seconds']):,} rows/s"
        )
    one, two = (results[w]["seconds"] for w in WORKER_SETUPS)
    say("  the same rows generated alone, then loaded alone by raw binary COPY ...")
    with scratch_database(postgres, "dwsim_bench") as url:
        bound = run_isolated("benchmarks.e2e:bound_workload", url=url, rows=rows)
    alone = bound["generate_s"] + bound["load_s"]
    say(
        f"    generate {bound['generate_s']:.2f} s + raw load {bound['load_s']:.2f} s = {alone:.2f} s"
    )
    return [
        {
            "name": "e2e.fk_schema",
            "rows": total,
            "table_rows": rows,
            "shard_size": SHARD_SIZE,
            "seconds_1_worker": round(one, 2),
            "rows_per_s_1_worker": rate(total, one),
            "seconds_2_workers": round(two, 2),
            "rows_per_s_2_workers": rate(total, two),
            "speedup": round(one / two, 2) if two else None,
            "generate_only_s": round(bound["generate_s"], 2),
            "raw_load_only_s": round(bound["load_s"], 2),
            "ratio_1_worker_to_alone": round(one / alone, 2) if alone else None,
            # The report's share (published -> finished): before it the data is live already.
            "report_s_1_worker": _report_seconds(results[1]["run"]),
            "report_s_2_workers": _report_seconds(results[2]["run"]),
            "target_seconds_1_worker_10m_rows": 20,
        }
    ]


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {
    "e2e.fk_schema": fk_schema,
}
