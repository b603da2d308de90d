"""The `report` family: how long the validation report takes on the TPC-H import.

The corpus's Redshift TPC-H DDL is imported with row counts in TPC-H's own proportions
(lineitem : orders : partsupp : part : customer : supplier = 6M : 1.5M : 800k : 200k : 150k :
10k at scale 1; nation and region as they are), summing to `--rows` (default 2,000,000; the
issue's figure is `--rows 10000000`, a few minutes here). The tables are generated with the
generator's own Parquet path and loaded into the embedded SQLite warehouse (not timed), then
the report runs its checks in the warehouse (timed), as a run makes it (with the run's seed and
shard size: large tables take the fast path, their keys proven from the facts each shard's load
recorded, `reports.loaded`; computing those facts is timed with the load, as the loader does
it), then the report a user asks for later, which reads every key in the warehouse instead
(timed, `scan_seconds`), then the fully exact report of the same rows (timed, `exact_seconds`). The ratio is report time over load time: what checking
costs next to loading the same rows. As the loader's finalize does, the generation contract the
report compares the loads' facts with is started on a thread before the tables are counted
(`count_seconds`, the finalize's COUNT(*) of every table, not part of the report; the report's
`contract_seconds` is what it still waited for). `report.redshift` and `report.snowflake` do the same in a
scratch database of the PostgreSQL server and in a fakesnow emulator server.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.measure import Options, postgres_server_url, rate, run_isolated, say

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


def _warehouse(kind: str, home: Path, server: dict[str, str] | None) -> Any:
    from dwsim_shared.settings import Settings
    from dwsim_shared.warehouses import make_warehouse

    if kind == "sqlite":
        return make_warehouse("sqlite", Settings(home=home))
    if kind == "redshift":
        return make_warehouse("redshift", Settings(home=home, redshift_url=server["url"]))  # type: ignore[index]
    from dwsim_shared.testing.fixtures import snowflake_settings

    settings = Settings.model_validate({"home": home, **snowflake_settings(server)})  # type: ignore[arg-type]
    return make_warehouse("snowflake", settings)


def report_workload(rows: int, warehouse: str = "sqlite",
                    server: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Load the TPC-H rows (timed), then the report as a run makes it (timed), then the fully
    exact report (`exact_rows` past every table: GROUP BY keys, NOT IN probes, every value)."""
    from dwsim_shared.ddl import import_ddl
    from dwsim_shared.generation.plan import compile_plan
    from dwsim_shared.generation.shard import write_rows_parquet
    from dwsim_shared.reports import compute_report
    from dwsim_shared.reports.checks import EXACT_ROWS
    from dwsim_shared.reports.contract import contract_facts
    from dwsim_shared.reports.loaded import load_with_facts, loaded_tables
    from dwsim_shared.warehouses.base import ShardRef

    targets = tpch_rows(rows)
    experiment = import_ddl(
        TPCH_DDL.read_text(), "redshift", name="bench_tpch", rows=targets
    ).experiment
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-report-") as tmp:
        target = _warehouse(warehouse, Path(tmp), server)
        target.prepare(experiment)
        load_seconds = load_cpu = 0.0
        shards = []
        for table in experiment.tables:
            for index, start in enumerate(range(0, targets[table.name], SHARD_ROWS)):
                path = Path(tmp) / f"{table.name}-{index}.parquet"
                count = min(SHARD_ROWS, targets[table.name] - start)
                write_rows_parquet(experiment, table.name, path, seed=SEED, row_start=start,
                                   row_count=count, row_targets=targets)  # fmt: skip
                started, cpu = time.perf_counter(), time.process_time()
                loaded, facts = load_with_facts(
                    target, experiment, table, path, ShardRef(1, table.name, index)
                )
                load_seconds += time.perf_counter() - started
                load_cpu += time.process_time() - cpu
                shards.append((table.name, loaded, facts))
                path.unlink()
        plan = compile_plan(experiment, targets, SHARD_ROWS)  # as a run compiles it
        with ThreadPoolExecutor(max_workers=1) as early:
            # As the finalize: the contract starts on a thread, then every table is counted
            # (the finalize then publishes, which the bench's tables need not).
            started = time.perf_counter()
            contract = early.submit(contract_facts, plan, SEED,
                                    lambda name: plan.rows(name) > EXACT_ROWS)  # fmt: skip
            for table in experiment.tables:
                target.count_rows(experiment, table)
            count_seconds = time.perf_counter() - started
            started, cpu = time.perf_counter(), time.process_time()
            # As the loader's finalize makes it: the shards' rows and facts read from the state.
            report = compute_report(plan, target, experiment.name, seed=SEED,
                                    loaded=loaded_tables(shards), contract=contract.result)  # fmt: skip
            seconds, report_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        scan = compute_report(plan, target, experiment.name, seed=SEED)  # POST .../report
        scan_seconds = time.perf_counter() - started
        started = time.perf_counter()
        exact = compute_report(plan, target, experiment.name, exact_rows=2**62)
        exact_seconds = time.perf_counter() - started
    return {"rows": sum(targets.values()), "table_rows": targets, "seconds": seconds,
            "load_seconds": load_seconds, "cpu_seconds": report_cpu, "load_cpu_seconds": load_cpu,
            "exact_seconds": exact_seconds, "scan_seconds": scan_seconds,
            "scan_failed": scan["failed"], "contract_seconds": report.get("contract_seconds"),
            "count_seconds": count_seconds,
            "table_seconds": report.get("table_seconds"), "checks": report["total"], "failed": report["failed"],
            "queries": report["queries"], "exact_failed": exact["failed"],
            "ledger_proofs": sum(1 for c in report["checks"] if "loader's" in c.get("proof", "")),
            "failures": [c for c in report["checks"] + scan["checks"] + exact["checks"] if not c["pass"]]}  # fmt: skip


def _report(
    options: Options, warehouse: str, server: dict[str, str] | None
) -> list[dict[str, Any]]:
    rows = options.rows or REPORT_ROWS
    name = "report.tpch" if warehouse == "sqlite" else f"report.{warehouse}"
    say(f"{name}: TPC-H import, {rows:,} rows into {warehouse}, then the validation report "
        "(as a run makes it), then the fully exact one ...")  # fmt: skip
    result = run_isolated("benchmarks.report:report_workload", rows=rows, warehouse=warehouse,
                          server=server)  # fmt: skip
    say(
        f"  report {result['seconds']:.2f} s ({result['checks']} checks, {result['failed']} failed, "
        f"{result['queries']} queries; {result['ledger_proofs']} proven from the loads' facts; "
        f"contract waited {result['contract_seconds']} s, started before the finalize's counts "
        f"{result['count_seconds']:.2f} s); on demand "
        f"(reading every key) {result['scan_seconds']:.2f} s; fully exact "
        f"{result['exact_seconds']:.2f} s; load {result['load_seconds']:.2f} s; cpu (this "
        f"process): report {result['cpu_seconds']:.2f} s, load {result['load_cpu_seconds']:.2f} s; "
        f"peak RSS {result['peak_rss_mb']} MiB"
    )
    say(f"  per table: {result['table_seconds']}")
    for check in result["failures"]:  # a failed check on a clean load is a bug worth seeing
        say(
            f"  FAILED {check['table']}.{check['column']} {check['check']}: expected "
            f"{check['expected']}, observed {check['observed']}"
        )
    load = result["load_seconds"]
    record: dict[str, Any] = {
        "name": name,
        "rows": result["rows"],
        "warehouse": warehouse,
        "seconds": round(result["seconds"], 2),
        "rows_per_s": rate(result["rows"], result["seconds"]),
        "checks": result["checks"],
        "failed": result["failed"],
        "baseline": "load_same_rows",
        "baseline_seconds": round(load, 2),
        "ratio": round(result["seconds"] / load, 3) if load else None,
        "target_ratio": 0.25,
        # The fully exact report of the same rows in the same run: what the fast path saves.
        "exact_seconds": round(result["exact_seconds"], 2),
        # The report a user asks for later (it reads every key in the warehouse).
        "scan_seconds": round(result["scan_seconds"], 2),
        "scan_ratio": round(result["scan_seconds"] / load, 3) if load else None,
        "exact_ratio": round(result["exact_seconds"] / load, 3) if load else None,
        "peak_rss_mb": result["peak_rss_mb"],
    }
    if warehouse == "sqlite":  # in-process: CPU seconds are what a quiet machine would take
        record["cpu_ratio"] = (
            round(result["cpu_seconds"] / result["load_cpu_seconds"], 3)
            if result["load_cpu_seconds"]
            else None
        )
    return [record]


def report_tpch(options: Options) -> list[dict[str, Any]]:
    return _report(options, "sqlite", None)


def report_redshift(options: Options) -> list[dict[str, Any]]:
    from dwsim_shared.testing.servers import scratch_database

    server = postgres_server_url()  # `Skipped` when no PostgreSQL answers
    with scratch_database(server, "dwsim_bench_report") as url:
        return _report(options, "redshift", {"url": url})


def report_snowflake(options: Options) -> list[dict[str, Any]]:
    from dwsim_shared.testing.servers import fakesnow_server

    with fakesnow_server() as server:
        return _report(options, "snowflake", server)


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {
    "report.tpch": report_tpch,
    "report.redshift": report_redshift,
    "report.snowflake": report_snowflake,
}
