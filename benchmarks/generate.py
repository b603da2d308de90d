"""The `generate` family: rows per second of the real shard task's data path.

`produce_shard` is what a generator worker runs for one shard (generate ->
zstd Parquet -> object store put); here it runs in-process, no broker, into a
`LocalObjectStore` in a temporary folder.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import Options, rate, run_isolated, say
from dwsim_generator.shards import produce_shard
from dwsim_shared.experiment import Experiment
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard
from dwsim_shared.objectstore import LocalObjectStore, shard_key
from dwsim_shared.runs.plan import plan_shards

EXPERIMENTS = Path(__file__).parent / "experiments"
SHARD_SIZE = 1_000_000
SEED = 42
ORDERS_ROWS = 10_000_000  # as in the spec: the first shard's one-time costs (Faker pools) amortize
BASELINE_ROWS = 200_000
FK_CHILD_ROWS = 2_000_000
PARENT_SMALL_ROWS = 1_000_000
PARENT_LARGE_ROWS = 1_000_000_000
FK_REPEATS = 7


def load_experiment(name: str) -> Experiment:
    return parse_experiment(json.loads((EXPERIMENTS / f"{name}.json").read_text()))


def _produce_table(
    experiment: Experiment, table: str, row_targets: dict[str, int], root: Path, run_id: int
) -> list[float]:
    """Every shard of `table` through `produce_shard`; returns each shard's seconds."""
    store = LocalObjectStore(root)
    timings = []
    for shard in plan_shards({table: row_targets[table]}, SHARD_SIZE):
        started = time.perf_counter()
        produce_shard(
            experiment, table, seed=SEED, row_start=shard.row_start, row_count=shard.row_count,
            row_targets=row_targets, store=store,
            key=shard_key(experiment.name, table, run_id, shard.shard_index),
        )  # fmt: skip
        timings.append(time.perf_counter() - started)
    return timings


# --- workloads: run in a fresh process by `run_isolated` -----------------------------------------


def orders_wide_workload(rows: int) -> dict[str, Any]:
    experiment = load_experiment("orders_wide")
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-store-") as tmp:
        started = time.perf_counter()
        shards = _produce_table(experiment, "orders_wide", {"orders_wide": rows}, Path(tmp), 1)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*.parquet"))
    return {"rows": rows, "seconds": seconds, "shard_seconds": shards, "bytes": size}


def _generate_table(experiment: Experiment, table: str, row_targets: dict[str, int]) -> None:
    """Every shard of `table` through `generate_shard` only: no Parquet, no disk."""
    for shard in plan_shards({table: row_targets[table]}, SHARD_SIZE):
        generate_shard(
            experiment, table, seed=SEED, row_start=shard.row_start, row_count=shard.row_count,
            row_targets=row_targets,
        )  # fmt: skip


def _timed(action: Callable[..., object], *args: Any) -> tuple[float, float]:
    """Wall and CPU seconds of `action(*args)`; CPU time barely moves when other processes compete."""
    wall, cpu = time.perf_counter(), time.process_time()
    action(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def fk_workload(rows: int, repeats: int) -> dict[str, Any]:
    """Child generation timed against a small and a huge parent, interleaved to share any drift.

    `produce` is the shard task's whole data path; `generate` the Arrow
    generation alone, which shows whether any dependence is the generator's.
    """
    experiment = load_experiment("fk_child")
    parents = {"small": PARENT_SMALL_ROWS, "large": PARENT_LARGE_ROWS}
    times: dict[str, dict[str, dict[str, list[float]]]] = {
        path: {label: {"wall": [], "cpu": []} for label in parents}
        for path in ("produce", "generate")
    }

    def record(path: str, label: str, action: Callable[..., object], *args: Any) -> None:
        wall, cpu = _timed(action, *args)
        times[path][label]["wall"].append(wall)
        times[path][label]["cpu"].append(cpu)

    with tempfile.TemporaryDirectory(prefix="dwsim-bench-store-") as tmp:
        root = Path(tmp)
        warm_up = {"parent": PARENT_SMALL_ROWS, "child": min(rows, SHARD_SIZE)}
        _produce_table(experiment, "child", warm_up, root, 0)
        for attempt in range(repeats):
            order = list(parents) if attempt % 2 == 0 else list(reversed(parents))
            for label in order:
                targets = {"parent": parents[label], "child": rows}
                run_id = attempt + 1
                record("produce", label, _produce_table, experiment, "child", targets, root, run_id)
                record("generate", label, _generate_table, experiment, "child", targets)
    return {"rows": rows, "times": times}


# --- benchmarks ----------------------------------------------------------------------------------


def orders_wide(options: Options) -> list[dict[str, Any]]:
    rows = options.rows or ORDERS_ROWS
    baseline_rows = options.baseline_rows or min(BASELINE_ROWS, rows)
    say(f"generate.orders_wide: project, {rows:,} rows in shards of {SHARD_SIZE:,} ...")
    project = run_isolated("benchmarks.generate:orders_wide_workload", rows=rows)
    shards = ", ".join(f"{s:.2f}" for s in project["shard_seconds"])
    say(
        f"  {project['seconds']:.2f} s (shards: {shards} s), {project['bytes'] / 2**20:.0f} MiB "
        f"Parquet, peak RSS {project['peak_rss_mb']} MiB"
    )
    say(f"generate.orders_wide: baseline faker_per_row, {baseline_rows:,} rows ...")
    baseline = run_isolated("benchmarks.faker_per_row:workload", rows=baseline_rows)
    say(f"  {baseline['seconds']:.2f} s, peak RSS {baseline['peak_rss_mb']} MiB")
    project_rate = rate(project["rows"], project["seconds"])
    baseline_rate = rate(baseline["rows"], baseline["seconds"])
    return [
        {
            "name": "generate.orders_wide",
            "rows": project["rows"],
            "seconds": round(project["seconds"], 2),
            "rows_per_s": project_rate,
            "baseline": "faker_per_row",
            "baseline_rows_per_s": baseline_rate,
            "ratio": round(project_rate / baseline_rate, 1) if baseline_rate else None,
            "peak_rss_mb": project["peak_rss_mb"],
        }
    ]


def fk_child_independence(options: Options) -> list[dict[str, Any]]:
    rows = options.rows or FK_CHILD_ROWS
    repeats = options.repeats or FK_REPEATS
    say(
        f"generate.fk_child_independence: {rows:,} child rows against parents of "
        f"{PARENT_SMALL_ROWS:,} and {PARENT_LARGE_ROWS:,} rows, median of {repeats} ..."
    )
    result = run_isolated("benchmarks.generate:fk_workload", rows=rows, repeats=repeats)
    produce = result["times"]["produce"]
    for label, runs in produce.items():
        say(
            f"  parent {label}: wall " + ", ".join(f"{s:.2f}" for s in runs["wall"])
            + " s; cpu " + ", ".join(f"{s:.2f}" for s in runs["cpu"]) + " s"
        )  # fmt: skip
    # CPU seconds: on a shared machine, wall time mostly measures the neighbours.
    rates = {k: rate(rows, statistics.median(v["cpu"])) for k, v in produce.items()}
    walls = {k: rate(rows, statistics.median(v["wall"])) for k, v in produce.items()}
    alone = {
        k: rate(rows, statistics.median(v["cpu"])) for k, v in result["times"]["generate"].items()
    }
    for what, pair in (("wall clock", walls), ("generate_shard alone (cpu)", alone)):
        say(
            f"  {what}: {pair['small']:,} vs {pair['large']:,} rows/s, "
            f"ratio {pair['large'] / pair['small']:.3f}"
        )
    return [
        {
            "name": "generate.fk_child_independence",
            "rows": rows,
            "parent_small_rows": PARENT_SMALL_ROWS,
            "parent_large_rows": PARENT_LARGE_ROWS,
            "rows_per_s_small": rates["small"],
            "rows_per_s_large": rates["large"],
            "ratio": round(rates["large"] / rates["small"], 3) if rates["small"] else None,
        }
    ]


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {
    "generate.orders_wide": orders_wide,
    "generate.fk_child_independence": fk_child_independence,
}
