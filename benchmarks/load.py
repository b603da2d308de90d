"""The `load` family: rows per second of the loader's warehouse path for one orders_wide shard.

The shard is written once, untimed, by the generator's own `write_rows_parquet`.
Each load then runs what a loader worker runs for one shard, in a fresh
process: the adapter's `prepare(experiment)` (fresh empty tables, not timed)
and its `load_shard(...)`, with the shard's facts for the run's report computed beside it as
the loader does (`reports.loaded.load_with_facts`; timed). The Redshift mock's baseline is
PostgreSQL's binary COPY of the same Arrow batches, already in memory and cast to the table's
types, encoded by pgpq and written through psycopg 3's COPY (no Parquet read, no ledger):
the raw ingest rate of the engine, which the loader's path is measured against. `psql \\copy` of
the same rows as CSV is printed beside it for reference (the path loads took before).
"""

from __future__ import annotations

import functools
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.generate import SEED, load_experiment
from benchmarks.measure import Options, postgres_server_url, rate, run_isolated, say
from dwsim_shared.experiment import Experiment, Table
from dwsim_shared.generation.shard import write_rows_parquet
from dwsim_shared.reports.loaded import load_with_facts
from dwsim_shared.settings import Settings
from dwsim_shared.testing.servers import scratch_database
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.warehouses.pg_binary import binary_plan

EXPERIMENT = "orders_wide"
TABLE = "orders_wide"
LOAD_ROWS = 1_000_000
LOAD_REPEATS = 3
BASELINE_EXPERIMENT = "bench_orders_wide_psql"  # same tables, another schema, same database
_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []  # removed when the interpreter exits


def _experiment_and_table() -> tuple[Experiment, Table]:
    experiment = load_experiment(EXPERIMENT)
    table = experiment.table(TABLE)
    assert table is not None
    return experiment, table


# --- workloads: run in a fresh process by `run_isolated` -----------------------------------------


def write_shard_workload(rows: int, path: str) -> dict[str, Any]:
    """Shard 0 of orders_wide, exactly as a generator worker writes it (not part of any figure)."""
    experiment, table = _experiment_and_table()
    started = time.perf_counter()
    written = write_rows_parquet(
        experiment, table.name, Path(path), seed=SEED, row_start=0, row_count=rows,
        row_targets={table.name: rows},
    )  # fmt: skip
    return {"rows": written, "seconds": time.perf_counter() - started}


def _load_once(warehouse: Warehouse, parquet: str, run_id: int) -> dict[str, Any]:
    experiment, table = _experiment_and_table()
    started = time.perf_counter()
    warehouse.prepare(experiment)
    prepare_s = time.perf_counter() - started
    wall, cpu = time.perf_counter(), time.process_time()
    # As the loader does it: the shard's facts for the run's report (`reports.loaded`) are
    # computed on another thread while the engine ingests, and timed with the load.
    rows, _facts = load_with_facts(
        warehouse, experiment, table, Path(parquet), ShardRef(run_id, table.name, 0)
    )
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    counted = warehouse.count_rows(experiment, table)
    if counted != rows:
        raise RuntimeError(f"load_shard reported {rows:,} rows but the table holds {counted:,}")
    return {"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds, "prepare_s": prepare_s}


def sqlite_workload(parquet: str, home: str, run_id: int) -> dict[str, Any]:
    warehouse = make_warehouse("sqlite", Settings(home=Path(home)))
    warehouse.drop(load_experiment(EXPERIMENT).name)  # every attempt starts from a new file
    return _load_once(warehouse, parquet, run_id)


def raw_sqlite_workload(parquet: str, home: str) -> dict[str, Any]:
    """A bare `executemany` of the same rows (Python tuples made beforehand, untimed) into an
    empty table of a new SQLite file, in one transaction: the raw limit SQLite's loads are
    measured against."""
    import sqlite3

    import pyarrow.parquet as pq

    from dwsim_shared.warehouses.sqlite import _stored_column

    experiment, table = _experiment_and_table()
    warehouse = make_warehouse("sqlite", Settings(home=Path(home)))
    twin = experiment.model_copy(update={"name": BASELINE_EXPERIMENT})
    warehouse.drop(twin.name)
    warehouse.prepare(twin)
    rows = [
        list(zip(*(_stored_column(c).to_pylist() for c in batch.columns), strict=True))
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=100_000)
    ]
    columns = ", ".join(f'"{c.name.lower()}"' for c in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    conn = sqlite3.connect(warehouse.path(twin.name), isolation_level=None)
    wall, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    for chunk in rows:
        conn.executemany(f'INSERT INTO "{table.name.lower()}" ({columns}) VALUES ({marks})', chunk)
    conn.execute("COMMIT")
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    return {
        "rows": warehouse.count_rows(twin, table),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def redshift_workload(url: str, parquet: str, run_id: int) -> dict[str, Any]:
    return _load_once(make_warehouse("redshift", Settings(redshift_url=url)), parquet, run_id)


def snowflake_workload(server: dict[str, str], parquet: str, run_id: int) -> dict[str, Any]:
    from dwsim_shared.testing.fixtures import snowflake_settings

    settings = Settings(**snowflake_settings(server))  # type: ignore[arg-type]
    return _load_once(make_warehouse("snowflake", settings), parquet, run_id)


def raw_duckdb_workload(parquet: str) -> dict[str, Any]:
    """The emulator's engine on its own: DuckDB inserting the shard's Arrow table (read first,
    untimed) into an empty table of the same columns, in a new in-process database."""
    import duckdb
    import pyarrow.parquet as pq

    data = pq.read_table(parquet)  # noqa: F841 (DuckDB reads the local variable by name)
    conn = duckdb.connect()
    conn.execute("CREATE TABLE target AS SELECT * FROM data LIMIT 0")
    conn.execute("CREATE TABLE from_file AS SELECT * FROM data LIMIT 0")
    wall, cpu = time.perf_counter(), time.process_time()
    conn.execute("INSERT INTO target SELECT * FROM data")
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    row = conn.execute("SELECT count(*) FROM target").fetchone()
    # The same insert reading the Parquet file itself (what COPY INTO does in the emulator).
    wall = time.perf_counter()
    conn.execute("INSERT INTO from_file SELECT * FROM read_parquet($path)", {"path": parquet})
    parquet_seconds = time.perf_counter() - wall
    return {
        "rows": int(row[0]) if row else 0,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "parquet_seconds": parquet_seconds,
    }


# --- helpers of the parent process ---------------------------------------------------------------


@functools.cache
def shard_parquet(rows: int) -> Path:
    """The one Parquet shard every load benchmark of this run reads (written once, untimed)."""
    scratch = tempfile.TemporaryDirectory(prefix="dwsim-bench-load-")
    _SCRATCH.append(scratch)
    path = Path(scratch.name) / f"{TABLE}-0.parquet"
    say(f"load: writing one {rows:,}-row {TABLE} shard with write_rows_parquet (untimed) ...")
    made = run_isolated("benchmarks.load:write_shard_workload", rows=rows, path=str(path))
    say(f"  {made['seconds']:.2f} s, {path.stat().st_size / 2**20:.0f} MiB zstd Parquet")
    return path


def csv_copy(parquet: Path) -> Path:
    """The same rows as headerless CSV (pyarrow.csv, batch by batch; untimed)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = parquet.with_suffix(".csv")
    source = pq.ParquetFile(parquet)
    options = pacsv.WriteOptions(include_header=False)
    with pacsv.CSVWriter(path, source.schema_arrow, write_options=options) as writer:
        for batch in source.iter_batches(batch_size=65_536):
            writer.write_batch(batch)
    return path


def raw_binary_copy(url: str, target: str, columns: str, parquet: Path) -> tuple[float, float]:
    """Binary COPY of a Parquet file's batches (read and cast to the table's types first,
    untimed) into `target`: PostgreSQL's raw ingest. Returns (wall, client cpu) seconds."""
    import psycopg
    import pyarrow.parquet as pq

    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
                "ORDER BY attnum",
                (target,),
            )
            spelled = cur.fetchall()
        shard = pq.ParquetFile(parquet)
        plan = binary_plan(spelled, shard.schema_arrow)
        if plan is None:
            raise RuntimeError(f"{target} has a column type binary COPY cannot write")
        batches = [plan.conform(b) for b in shard.iter_batches(batch_size=65_536)]
        encoder = plan.encoder()
        wall, cpu = time.perf_counter(), time.process_time()
        statement = f"COPY {target} ({columns}) FROM STDIN (FORMAT binary)"
        with conn.cursor() as cur, cur.copy(statement) as copy:
            copy.write(encoder.write_header())
            for batch in batches:
                copy.write(encoder.write_batch(batch))
            copy.write(encoder.finish())
        conn.commit()
        return time.perf_counter() - wall, time.process_time() - cpu


def raw_binary_workload(url: str, parquet: str) -> dict[str, Any]:
    """Binary COPY of the shard's batches into a fresh twin of the table; only the COPY is timed."""
    experiment, table = _experiment_and_table()
    twin = experiment.model_copy(update={"name": BASELINE_EXPERIMENT})
    warehouse = make_warehouse("redshift", Settings(redshift_url=url))
    warehouse.prepare(twin)
    target = warehouse.physical_table(twin.name, table.name).sql(dialect="postgres")
    columns = ", ".join(f'"{c.name.lower()}"' for c in table.columns)
    seconds, cpu_seconds = raw_binary_copy(url, target, columns, Path(parquet))
    return {
        "rows": warehouse.count_rows(twin, table),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def psql_copy(psql: str, url: str, csv: Path) -> dict[str, Any]:
    """`psql -c "\\copy ... FROM csv CSV"` into a freshly prepared copy of the table; only psql is timed."""
    experiment, table = _experiment_and_table()
    twin = experiment.model_copy(update={"name": BASELINE_EXPERIMENT})
    warehouse = make_warehouse("redshift", Settings(redshift_url=url))
    warehouse.prepare(twin)  # the adapter's own DDL: the same table, empty, in its own schema
    target = warehouse.physical_table(twin.name, table.name).sql(dialect="postgres")
    columns = ", ".join(f'"{c.name.lower()}"' for c in table.columns)
    quoted = str(csv).replace("'", "''")
    command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url,
               "-c", f"\\copy {target} ({columns}) FROM '{quoted}' CSV"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"psql \\copy failed ({done.returncode}): {done.stderr.strip()}")
    return {"rows": warehouse.count_rows(twin, table), "seconds": seconds}


def _runs(label: str, runs: list[dict[str, Any]]) -> None:
    walls = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    line = f"  {label}: {walls} s"
    if all("cpu_seconds" in r for r in runs):
        line += " (client cpu " + ", ".join(f"{r['cpu_seconds']:.2f}" for r in runs) + " s)"
    say(line)


# --- benchmarks ----------------------------------------------------------------------------------


def load_sqlite(options: Options) -> list[dict[str, Any]]:
    rows = options.rows or LOAD_ROWS
    repeats = options.repeats or LOAD_REPEATS
    parquet = shard_parquet(rows)
    say(
        f"load.sqlite: SQLiteWarehouse.load_shard of {rows:,} rows, against a bare executemany "
        f"of the same rows into an empty file, interleaved, median of {repeats} ..."
    )
    runs: dict[str, list[dict[str, Any]]] = {"project": [], "raw": []}
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-home-") as home:
        for attempt in range(1, repeats + 1):
            order = ("project", "raw") if attempt % 2 else ("raw", "project")
            for which in order:
                if which == "project":
                    runs["project"].append(
                        run_isolated(
                            "benchmarks.load:sqlite_workload",
                            parquet=str(parquet),
                            home=home,
                            run_id=attempt,
                        )
                    )
                else:
                    runs["raw"].append(
                        run_isolated(
                            "benchmarks.load:raw_sqlite_workload", parquet=str(parquet), home=home
                        )
                    )
    _runs("project", runs["project"])
    _runs("raw executemany", runs["raw"])
    if any(r["rows"] != rows for r in runs["raw"]):
        raise RuntimeError(f"the raw executemany loaded {[r['rows'] for r in runs['raw']]} rows")
    seconds = statistics.median(r["seconds"] for r in runs["project"])
    raw_rate = rate(rows, statistics.median(r["seconds"] for r in runs["raw"]))
    return [
        {
            "name": "load.sqlite",
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_s": rate(rows, seconds),
            "target_rows_per_s": 500_000,
            "baseline": "raw_executemany",
            "baseline_rows_per_s": raw_rate,
            "ratio": round(rate(rows, seconds) / raw_rate, 2) if raw_rate else None,
            # In-process CPU (SQLite runs inside the loader): the rate a quiet core would give.
            "cpu_rows_per_s": rate(
                rows, statistics.median(r["cpu_seconds"] for r in runs["project"])
            ),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs["project"]),
        }
    ]


def load_redshift(options: Options) -> list[dict[str, Any]]:
    server = postgres_server_url()  # `Skipped` when no PostgreSQL answers
    rows = options.rows or LOAD_ROWS
    repeats = options.repeats or LOAD_REPEATS
    parquet = shard_parquet(rows)
    psql = shutil.which("psql")
    csv = csv_copy(parquet) if psql else None
    say(
        f"load.redshift: RedshiftMockWarehouse.load_shard of {rows:,} rows into a scratch "
        f"database, against the raw binary COPY of the same Arrow batches (and psql \\copy of "
        f"the same rows as CSV, for reference), interleaved, median of {repeats} ..."
    )
    runs: dict[str, list[dict[str, Any]]] = {"project": [], "raw": [], "csv": []}
    with scratch_database(server, "dwsim_bench") as url:
        for attempt in range(1, repeats + 1):
            order = ["project", "raw", "csv"]
            order = order[attempt % 3 :] + order[: attempt % 3]
            for which in order:
                if which == "project":
                    target = "benchmarks.load:redshift_workload"
                    runs["project"].append(
                        run_isolated(target, url=url, parquet=str(parquet), run_id=attempt)
                    )
                elif which == "raw":
                    target = "benchmarks.load:raw_binary_workload"
                    runs["raw"].append(run_isolated(target, url=url, parquet=str(parquet)))
                elif psql and csv:
                    runs["csv"].append(psql_copy(psql, url, csv))
    _runs("project", runs["project"])
    _runs("raw binary COPY", runs["raw"])
    for label, done in (("raw binary COPY", runs["raw"]), ("psql \\copy", runs["csv"])):
        if any(r["rows"] != rows for r in done):
            raise RuntimeError(f"{label} loaded {[r['rows'] for r in done]} rows, not {rows}")
    seconds = statistics.median(r["seconds"] for r in runs["project"])
    project_rate = rate(rows, seconds)
    raw_rate = rate(rows, statistics.median(r["seconds"] for r in runs["raw"]))
    record: dict[str, Any] = {
        "name": "load.redshift",
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": project_rate,
        "baseline": "raw_binary_copy",
        "baseline_rows_per_s": raw_rate,
        "ratio": round(project_rate / raw_rate, 2) if raw_rate else None,
        "target_ratio": 0.9,
        "csv_copy_rows_per_s": None,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs["project"]),
    }
    if runs["csv"]:
        _runs("psql \\copy CSV", runs["csv"])
        record["csv_copy_rows_per_s"] = rate(
            rows, statistics.median(r["seconds"] for r in runs["csv"])
        )
    return [record]


def load_snowflake(options: Options) -> list[dict[str, Any]]:
    """The emulator's load (the connector's PUT, then COPY INTO from the stage, in the emulator
    server; the emulator runs with its local stage, so PUT copies the file into its folder)
    against DuckDB's own insert of the same Arrow rows, and of the same Parquet file."""
    from dwsim_shared.testing.servers import fakesnow_server

    rows = options.rows or LOAD_ROWS
    repeats = options.repeats or LOAD_REPEATS
    parquet = shard_parquet(rows)
    say(
        f"load.snowflake: SnowflakeWarehouse.load_shard (PUT + COPY INTO) of {rows:,} rows into "
        f"the emulator, against DuckDB inserting the same Arrow rows in-process, median of "
        f"{repeats} ..."
    )
    runs: dict[str, list[dict[str, Any]]] = {"project": [], "raw": []}
    with fakesnow_server() as server:
        for attempt in range(1, repeats + 1):
            runs["project"].append(
                run_isolated(
                    "benchmarks.load:snowflake_workload",
                    server=server,
                    parquet=str(parquet),
                    run_id=attempt,
                )
            )
            runs["raw"].append(
                run_isolated("benchmarks.load:raw_duckdb_workload", parquet=str(parquet))
            )
    _runs("project", runs["project"])
    _runs("raw DuckDB insert", runs["raw"])
    say("  DuckDB insert from the Parquet file: "
        + ", ".join(f"{r['parquet_seconds']:.2f}" for r in runs["raw"]) + " s")  # fmt: skip
    seconds = statistics.median(r["seconds"] for r in runs["project"])
    raw_rate = rate(rows, statistics.median(r["seconds"] for r in runs["raw"]))
    parquet_rate = rate(rows, statistics.median(r["parquet_seconds"] for r in runs["raw"]))
    return [
        {
            "name": "load.snowflake",
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_s": rate(rows, seconds),
            "baseline": "raw_duckdb_arrow_insert",
            "baseline_rows_per_s": raw_rate,
            "ratio": round(rate(rows, seconds) / raw_rate, 2) if raw_rate else None,
            # DuckDB's insert reading the same Parquet file: the limit of any path that ships
            # the shard as a file (PUT + COPY INTO does; the emulator's stage is local here).
            "duckdb_parquet_insert_rows_per_s": parquet_rate,
            "ratio_to_parquet_insert": (
                round(rate(rows, seconds) / parquet_rate, 2) if parquet_rate else None
            ),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs["project"]),
        }
    ]


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {
    "load.snowflake": load_snowflake,
    "load.sqlite": load_sqlite,
    "load.redshift": load_redshift,
}
