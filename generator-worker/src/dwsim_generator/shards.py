"""Generate one shard: state row -> Arrow table -> zstd Parquet -> object store -> enqueue its load."""

from __future__ import annotations

import logging
import socket
import tempfile
import time
from pathlib import Path

from dwsim_shared.celery_app import LOAD_SHARD, enqueue
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.shard import write_rows_parquet
from dwsim_shared.objectstore import ObjectStore, shard_key
from dwsim_shared.runs import active_shard, finish_shard, mark_run_running
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ShardStatus
from dwsim_shared.worker_runtime import record_failure

log = logging.getLogger(__name__)

_DONE = (ShardStatus.GENERATED, ShardStatus.LOADING, ShardStatus.LOADED)


def generate_one_shard(rt: Runtime, shard_id: int, *, will_retry: bool = False) -> str:
    """Generate shard `shard_id` of its run; returns what happened (for logs and tests).

    Idempotent: a shard already generated only has its load enqueued again, and
    a retried shard writes the same bytes to the same key. With `will_retry`, an
    unavailable dependency is raised without failing the run, since the task retries.
    """
    with rt.session() as session:
        found = active_shard(session, shard_id)
        if isinstance(found, str):
            return found
        shard, run = found
        experiment = Experiment.model_validate(run.schema_json)
        key = shard_key(experiment.name, shard.table_name, run.id, shard.shard_index)
        if shard.status in _DONE and rt.objects.exists(key):
            already = True
        else:
            already = False
            mark_run_running(session, run.id)
            shard.status = ShardStatus.GENERATING
            shard.attempts += 1
            shard.worker = socket.gethostname()
            session.commit()
        job = (run.id, run.seed, run.row_targets, shard.table_name, shard.shard_index)
        row_start, row_count = shard.row_start, shard.row_count
    if already:
        enqueue(rt.celery, LOAD_SHARD, shard_id)
        return "already generated"
    run_id, seed, row_targets, table, shard_index = job
    try:
        started = time.perf_counter()
        rows = produce_shard(
            experiment, table, seed=seed, row_start=row_start, row_count=row_count,
            row_targets=row_targets, store=rt.objects, key=key,
        )  # fmt: skip
        log.info(
            "shard %s (%s) %d rows in %.2fs", shard_id, key, rows, time.perf_counter() - started
        )
    except Exception as error:
        if not (will_retry and isinstance(error, DependencyUnavailable)):
            where = f"generating shard {table}#{shard_index}"
            record_failure(rt, run_id, where, error, shard_id)
        raise
    with rt.session() as session:
        if not finish_shard(
            session, shard_id, ShardStatus.GENERATED, rows_written=rows, object_key=key
        ):
            return "gone"
    enqueue(rt.celery, LOAD_SHARD, shard_id)
    return "generated"


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
) -> int:
    """The data path of a shard task: generate, write zstd Parquet, put it in the store.

    Free of state and broker, so benchmarks and tests run exactly what workers run.
    """
    with tempfile.TemporaryDirectory(prefix="dwsim-gen-") as tmp:
        path = Path(tmp) / "part.parquet"
        rows = write_rows_parquet(
            experiment, table, path, seed=seed, row_start=row_start, row_count=row_count,
            row_targets=row_targets,
        )  # fmt: skip
        store.put_file(path, key)
    return rows
