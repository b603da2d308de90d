"""The `endpoint` family: the Redshift endpoint (a query-service process) against PostgreSQL.

`endpoint.fetch`: rows per second of `SELECT *` of a generated table fetched with psycopg2
through the endpoint, against the same fetch from PostgreSQL directly (target ratio >= 0.8).
`endpoint.latency`: the median of trivial queries (`SELECT 1`) through the endpoint against
directly (target overhead < 2 ms); `distinct_*`: the same with a new text each time, which the
endpoint's per-session cache of translations never answers. Both clients log in as the experiment's reader role.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2

from benchmarks.measure import Options, postgres_server_url, rate, say
from dwsim_shared.endpoint_credentials import endpoint_password
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.testing.pipeline import embedded_runtime, submit_run
from dwsim_shared.testing.servers import free_port, scratch_database, server_process
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.warehouses.redshift import RedshiftMockWarehouse

NAME = "bench_endpoint"
FETCH_ROWS = 1_000_000
LATENCY_QUERIES = 1_000
DOCUMENT = {"name": NAME, "target_warehouse": "redshift", "tables": [{
    "name": "t", "target_rows": FETCH_ROWS, "columns": [
        {"name": "id", "data_type": "BIGINT", "is_unique": True},
        {"name": "amount", "data_type": "DECIMAL", "precision": 12, "scale": 2},
        {"name": "label", "data_type": "VARCHAR", "varchar_length": 20},
        {"name": "day", "data_type": "DATE"}]}]}  # fmt: skip


@contextlib.contextmanager
def _setup(rows: int) -> Iterator[tuple[str, str]]:
    """(endpoint DSN, direct DSN) of one loaded experiment, with a query service serving it."""
    server = postgres_server_url()  # `Skipped` when no PostgreSQL answers
    with (
        tempfile.TemporaryDirectory(prefix="dwsim-bench-endpoint-") as home,
        scratch_database(server, "dwsim_bench_redshift") as url,
    ):
        document = {**DOCUMENT, "tables": [{**DOCUMENT["tables"][0], "target_rows": rows}]}
        rt = embedded_runtime(Path(home), redshift_url=url)
        submit_run(rt, document, published=True)
        experiment = parse_experiment(document)
        warehouse = rt.warehouse("redshift")
        assert isinstance(warehouse, RedshiftMockWarehouse)
        warehouse.prepare(experiment)
        parquet = Path(home) / "t.parquet"
        say(f"endpoint: loading {rows:,} rows (untimed) ...")
        write_shard_parquet(
            generate_shard(experiment, "t", seed=1, row_start=0, row_count=rows), parquet
        )
        warehouse.load_shard(experiment, experiment.tables[0], parquet, ShardRef(1, "t", 0))
        warehouse.ensure_reader(NAME)
        with rt.session() as session:
            from dwsim_query.service import experiment_context

            password = endpoint_password(session, experiment_context(rt, NAME).experiment_id)
        login = warehouse.reader_login(NAME)
        direct = f"{login['url']}?user={login['user']}&password={login['password']}"
        rt.close()
        port, rest_port = free_port(), free_port()
        env = {**os.environ, "DWSIM_HOME": home, "DWSIM_REDSHIFT_URL": url,
               "DWSIM_REDSHIFT_ENDPOINT_PORT": str(port), "DWSIM_QUERY_TIMEOUT_S": "600"}  # fmt: skip
        argv = [sys.executable, "-m", "uvicorn", "dwsim_query.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(rest_port), "--log-level", "warning"]  # fmt: skip
        with server_process(argv, rest_port, "query service", env=env):
            from dwsim_shared.testing.servers import _wait_port

            _wait_port(port, 30, "redshift endpoint")
            yield (
                f"host=127.0.0.1 port={port} dbname={NAME} user={NAME} password={password} "
                "sslmode=disable",
                direct,
            )


def _fetch(dsn: str, sql: str) -> float:
    with contextlib.closing(psycopg2.connect(dsn)) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        cur.execute(sql)
        rows = len(cur.fetchall())
        seconds = time.perf_counter() - started
    if rows == 0:
        raise RuntimeError("the fetch returned no rows")
    return seconds


def endpoint_fetch(options: Options) -> list[dict[str, Any]]:
    rows = options.rows or FETCH_ROWS
    repeats = options.repeats or 3
    schema = f"dwsim_{NAME}"
    with _setup(rows) as (through, direct):
        say(f"endpoint.fetch: {rows:,} rows through the endpoint and directly, interleaved ...")
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(_fetch(through, "SELECT * FROM t"))
            theirs.append(_fetch(direct, f'SELECT * FROM "{schema}"."t"'))
    seconds, baseline = statistics.median(ours), statistics.median(theirs)
    say(f"  endpoint {', '.join(f'{s:.2f}' for s in ours)} s; direct "
        f"{', '.join(f'{s:.2f}' for s in theirs)} s")  # fmt: skip
    return [{
        "name": "endpoint.fetch", "rows": rows, "seconds": round(seconds, 2),
        "rows_per_s": rate(rows, seconds), "baseline": "postgres_direct",
        "baseline_rows_per_s": rate(rows, baseline), "ratio": round(baseline / seconds, 2),
        "target_ratio": 0.8,
    }]  # fmt: skip


def _latencies(dsn: str, count: int, *, distinct: bool = False) -> list[float]:
    with contextlib.closing(psycopg2.connect(dsn)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        times = []
        for _ in range(count):
            started = time.perf_counter()
            # distinct: a new text each time, so the endpoint's per-session cache never hits.
            cur.execute(f"SELECT {len(times)}" if distinct else "SELECT 1")
            cur.fetchall()
            times.append(time.perf_counter() - started)
    return times


def endpoint_latency(options: Options) -> list[dict[str, Any]]:
    count = options.rows or LATENCY_QUERIES
    with _setup(10) as (through, direct):
        say(f"endpoint.latency: {count:,} x SELECT 1 through the endpoint and directly ...")
        ours = statistics.median(_latencies(through, count)) * 1000
        theirs = statistics.median(_latencies(direct, count)) * 1000
        fresh = statistics.median(_latencies(through, count, distinct=True)) * 1000
        fresh_direct = statistics.median(_latencies(direct, count, distinct=True)) * 1000
    return [{
        "name": "endpoint.latency", "queries": count, "median_ms": round(ours, 3),
        "baseline": "postgres_direct", "baseline_median_ms": round(theirs, 3),
        "overhead_ms": round(ours - theirs, 3), "target_overhead_ms": 2.0,
        "distinct_median_ms": round(fresh, 3),
        "distinct_overhead_ms": round(fresh - fresh_direct, 3),
    }]  # fmt: skip


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {
    "endpoint.fetch": endpoint_fetch,
    "endpoint.latency": endpoint_latency,
}
