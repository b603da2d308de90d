"""Generate one shard: state row -> Arrow table -> zstd Parquet -> object store -> enqueue its load."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dwsim_shared.celery_app import LOAD_SHARD
from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.shard import write_rows_parquet
from dwsim_shared.leases import release_shard, take_shard
from dwsim_shared.lineage.provenance import file_checksum
from dwsim_shared.objectstore import ObjectStore, shard_key
from dwsim_shared.runs import active_shard
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ShardStatus, utcnow
from dwsim_shared.worker_runtime import (
    hold_for_tests,
    holding_shard,
    record_failure,
    retrying,
    try_enqueue,
)

log = logging.getLogger(__name__)


def generate_one_shard(rt: Runtime, shard_id: int) -> str:
    """Generate shard `shard_id` of its run; returns what happened (for logs and tests).

    Idempotent: a shard past generation, or held by a live worker, is left alone, and a
    shard generated again writes the same bytes to the same key. The shard is held under a
    lease renewed while it works; an outage of the object store is retried with backoff.
    """
    s = rt.settings
    with rt.session() as session:
        found = active_shard(session, shard_id)
        if isinstance(found, str):
            return found
        shard, run = found
        if shard.status in (ShardStatus.GENERATED, ShardStatus.LOADING, ShardStatus.LOADED):
            return "already generated"
        taken = take_shard(
            session, shard, "generate", now=utcnow(), lease_s=s.lease_s,
            max_attempts=s.max_attempts,
        )  # fmt: skip
        if isinstance(taken, str):
            return taken
        experiment = Experiment.model_validate(run.schema_json)
        key = shard_key(experiment.name, shard.table_name, run.id, shard.shard_index)
        job = (run.id, run.seed, run.row_targets, shard.table_name, shard.shard_index)
        row_start, row_count = shard.row_start, shard.row_count
    run_id, seed, row_targets, table, shard_index = job
    where = f"generating shard {table}#{shard_index}"
    with holding_shard(rt, taken):
        hold_for_tests(rt, experiment.name, shard_index, taken.attempt)
        try:
            started = time.perf_counter()
            written = retrying(
                rt, where, "object store",
                lambda: produce_shard(
                    experiment, table, seed=seed, row_start=row_start, row_count=row_count,
                    row_targets=row_targets, store=rt.objects, key=key,
                ),
            )  # fmt: skip
            log.info(
                "shard %s (%s) %d rows in %.2fs",
                shard_id, key, written.rows, time.perf_counter() - started,
            )  # fmt: skip
        except Exception as error:
            record_failure(rt, run_id, where, error, shard_id)
            raise
    with rt.session() as session:
        if not release_shard(
            session, taken, ShardStatus.GENERATED, now=utcnow(), lease_s=s.lease_s,
            rows_written=written.rows, object_key=key, checksum=written.checksum,
            object_bytes=written.size,
        ):  # fmt: skip
            return "superseded by a later attempt"
    if not try_enqueue(rt, LOAD_SHARD, shard_id):
        return "generated; its load is left to the sweeper"
    return "generated"


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
