"""The `report` family: how long the validation report takes on the TPC-H import.

The corpus's Redshift TPC-H DDL is imported with row counts in TPC-H's own proportions
(lineitem : orders : partsupp : part : customer : supplier = 6M : 1.5M : 800k : 200k : 150k :
10k at scale 1; nation and region as they are), summing to `--rows` (default 2,000,000; the
issue's figure is `--rows 10000000`, a few minutes here). The tables are generated with the
generator's own Parquet path and loaded into the embedded SQLite warehouse (not timed), then
the report runs its checks in the warehouse (timed). The ratio is report time over load time:
what checking costs next to loading the same rows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import Options, rate, run_isolated, say

TPCH_DDL = Path(__file__).resolve().parent.parent / "shared/tests/ddl/corpus/redshift_tpch.sql"
REPORT_ROWS = 2_000_000
SHARD_ROWS = 1_000_000
SEED = 42
SCALE_ONE = {"lineitem": 6_001_215, "orders": 1_500_000, "partsupp": 800_000, "part": 200_000,
             "customer": 150_000, "supplier": 10_000}  # fmt: skip
FIXED = {"nation": 25, "region": 5}


def tpch_rows(total: int) -> dict[str, int]:
    """Rows per table in TPC-H's proportions, all tables together about `total`."""
    scale = max(total - sum(FIXED.values()), 0) / sum(SCALE_ONE.values())
    return {**{t: max(1, round(n * scale)) for t, n in SCALE_ONE.items()}, **FIXED}


def report_workload(rows: int) -> dict[str, Any]:
    from dwsim_shared.ddl import import_ddl
    from dwsim_shared.generation.plan import compile_plan
    from dwsim_shared.generation.shard import write_rows_parquet
    from dwsim_shared.reports import compute_report
    from dwsim_shared.settings import Settings
    from dwsim_shared.warehouses import make_warehouse
    from dwsim_shared.warehouses.base import ShardRef

    targets = tpch_rows(rows)
    experiment = import_ddl(
        TPCH_DDL.read_text(), "redshift", name="bench_tpch", rows=targets
    ).experiment
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-report-") as tmp:
        warehouse = make_warehouse("sqlite", Settings(home=Path(tmp)))
        warehouse.prepare(experiment)
        load_seconds = load_cpu = 0.0
        for table in experiment.tables:
            for index, start in enumerate(range(0, targets[table.name], SHARD_ROWS)):
                path = Path(tmp) / f"{table.name}-{index}.parquet"
                count = min(SHARD_ROWS, targets[table.name] - start)
                write_rows_parquet(experiment, table.name, path, seed=SEED, row_start=start,
                                   row_count=count, row_targets=targets)  # fmt: skip
                started, cpu = time.perf_counter(), time.process_time()
                warehouse.load_shard(experiment, table, path, ShardRef(1, table.name, index))
                load_seconds += time.perf_counter() - started
                load_cpu += time.process_time() - cpu
                path.unlink()
        started, cpu = time.perf_counter(), time.process_time()
        report = compute_report(compile_plan(experiment, targets), warehouse, experiment.name)
        seconds, report_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rows": sum(targets.values()), "table_rows": targets, "seconds": seconds,
            "load_seconds": load_seconds, "cpu_seconds": report_cpu, "load_cpu_seconds": load_cpu,
            "table_seconds": report.get("table_seconds"), "checks": report["total"], "failed": report["failed"],
            "queries": report["queries"],
            "failures": [c for c in report["checks"] if not c["pass"]]}  # fmt: skip


def report_tpch(options: Options) -> list[dict[str, Any]]:
    rows = options.rows or REPORT_ROWS
    say(f"report.tpch: TPC-H import, {rows:,} rows into SQLite, then the validation report ...")
    result = run_isolated("benchmarks.report:report_workload", rows=rows)
    say(
        f"  report {result['seconds']:.2f} s ({result['checks']} checks, {result['failed']} failed, "
        f"{result['queries']} queries); load {result['load_seconds']:.2f} s; cpu: report "
        f"{result['cpu_seconds']:.2f} s, load {result['load_cpu_seconds']:.2f} s; peak RSS "
        f"{result['peak_rss_mb']} MiB"
    )
    say(f"  per table: {result['table_seconds']}")
    for check in result["failures"]:  # a failed check on a clean load is a bug worth seeing
        say(
            f"  FAILED {check['table']}.{check['column']} {check['check']}: expected "
            f"{check['expected']}, observed {check['observed']}"
        )
    return [
        {
            "name": "report.tpch",
            "rows": result["rows"],
            "warehouse": "sqlite",
            "seconds": round(result["seconds"], 2),
            "rows_per_s": rate(result["rows"], result["seconds"]),
            "checks": result["checks"],
            "failed": result["failed"],
            "baseline": "load_same_rows",
            "baseline_seconds": round(result["load_seconds"], 2),
            "ratio": round(result["seconds"] / result["load_seconds"], 3)
            if result["load_seconds"]
            else None,
            # SQLite runs inside the process: CPU seconds are what a quiet machine would take.
            "cpu_ratio": round(result["cpu_seconds"] / result["load_cpu_seconds"], 3)
            if result["load_cpu_seconds"]
            else None,
            "target_ratio": 0.25,
            "peak_rss_mb": result["peak_rss_mb"],
        }
    ]


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {"report.tpch": report_tpch}
