"""Generate one shard: state row -> Arrow table -> zstd Parquet -> object store -> enqueue its load."""

from __future__ import annotations

import functools
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.shard import write_rows_parquet
from dwsim_shared.lineage.provenance import file_checksum
from dwsim_shared.objectstore import ObjectStore, shard_key
from dwsim_shared.runs.dispatch import Step
from dwsim_shared.runs.outcomes import Outcome, Skipped
from dwsim_shared.runtime import Runtime
from dwsim_shared.worker_runtime import retrying, shard_step

log = logging.getLogger(__name__)


def generate_one_shard(rt: Runtime, shard_id: int) -> Outcome:
    """Generate shard `shard_id` of its run; returns what happened (for logs and tests).

    Idempotent: a shard past generation, or held by a live worker, is left alone, and a
    shard generated again writes the same bytes to the same key. The shard is held under a
    lease renewed while it works; an outage of the object store is retried with backoff.
    """
    with shard_step(rt, shard_id, Step.GENERATE) as step:
        if isinstance(step, Skipped):
            return step
        key = shard_key(step.experiment.name, step.table.name, step.run_id, step.shard_index)
        started = time.perf_counter()
        produce = functools.partial(
            produce_shard, step.experiment, step.table.name, seed=step.seed,
            row_start=step.row_start, row_count=step.row_count, row_targets=step.row_targets,
            store=rt.objects, key=key,
        )  # fmt: skip
        written = retrying(rt, step.where, "object store", produce)
        log.info(
            "shard %s (%s) %d rows in %.2fs",
            shard_id, key, written.rows, time.perf_counter() - started,
        )  # fmt: skip
        step.finish(
            rows_written=written.rows, object_key=key, checksum=written.checksum,
            object_bytes=written.size,
        )  # fmt: skip
    assert step.outcome is not None
    return step.outcome


@dataclass(frozen=True)
class WrittenObject:
    rows: int
    checksum: str  # SHA-256 of the Parquet bytes, recorded for lineage and bundles
    size: int


def produce_shard(
    experiment: Experiment,
    table: str,
    *,
    seed: int,
    row_start: int,
    row_count: int,
    row_targets: dict[str, int],
    store: ObjectStore,
    key: str,
) -> WrittenObject:
    """The data path of a shard task: generate, write zstd Parquet, put it in the store.

    Free of state and broker, so benchmarks and tests run exactly what workers run.
    """
    with tempfile.TemporaryDirectory(prefix="dwsim-gen-") as tmp:
        path = Path(tmp) / "part.parquet"
        rows = write_rows_parquet(
            experiment, table, path, seed=seed, row_start=row_start, row_count=row_count,
            row_targets=row_targets,
        )  # fmt: skip
        checksum, size = file_checksum(path)
        store.put_file(path, key)
    return WrittenObject(rows, checksum, size)
