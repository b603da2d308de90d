"""Prepare a run's warehouse tables and load shards into them, exactly once each."""

from __future__ import annotations

import logging
import socket
import time

from sqlalchemy import select

from dwsim_shared.celery_app import GENERATE_SHARD, enqueue
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.experiment import Experiment
from dwsim_shared.reports import complete_with_report
from dwsim_shared.runs import (
    active_shard,
    claim_finalization,
    finish_shard,
    mark_run_running,
)
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ACTIVE_RUN_STATUSES, RunRow, RunShardRow, ShardStatus
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.worker_runtime import record_failure

log = logging.getLogger(__name__)


def prepare_run(rt: Runtime, run_id: int, *, will_retry: bool = False) -> str:
    """Create the experiment's empty tables in its warehouse, then fan out the shard generation."""
    with rt.session() as session:
        run = session.get(RunRow, run_id)
        if run is None:
            return "gone"
        if run.status not in ACTIVE_RUN_STATUSES:
            return f"run {run.status.lower()}"
        experiment = Experiment.model_validate(run.schema_json)
        warehouse_name = run.warehouse
        mark_run_running(session, run_id)
        session.commit()
        shard_ids = session.scalars(
            select(RunShardRow.id)
            .where(RunShardRow.run_id == run_id)
            .order_by(RunShardRow.table_name, RunShardRow.shard_index)
        ).all()
    try:
        rt.warehouse(warehouse_name).prepare(experiment)
    except Exception as error:
        if not (will_retry and isinstance(error, DependencyUnavailable)):
            record_failure(rt, run_id, f"preparing the {warehouse_name} warehouse failed", error)
        raise
    for shard_id in shard_ids:
        enqueue(rt.celery, GENERATE_SHARD, shard_id)
    return f"prepared, {len(shard_ids)} shards enqueued"


def load_one_shard(rt: Runtime, shard_id: int, *, will_retry: bool = False) -> str:
    """Load one generated shard; the last loaded shard reconciles counts and completes the run."""
    with rt.session() as session:
        found = active_shard(session, shard_id)
        if isinstance(found, str):
            return found
        shard, run = found
        if shard.object_key is None:
            return "not generated"
        experiment = Experiment.model_validate(run.schema_json)
        table = experiment.table(shard.table_name)
        assert table is not None
        ref = ShardRef(run.id, table.name, shard.shard_index)
        key, warehouse_name, run_id = shard.object_key, run.warehouse, run.id
        shard.status = ShardStatus.LOADING
        shard.worker = socket.gethostname()
        session.commit()
    warehouse = rt.warehouse(warehouse_name)
    try:
        started = time.perf_counter()
        with rt.objects.local_copy(key) as path:
            rows = warehouse.load_shard(experiment, table, path, ref)
        log.info("loaded %s: %d rows in %.2fs", key, rows, time.perf_counter() - started)
    except Exception as error:
        if not (will_retry and isinstance(error, DependencyUnavailable)):
            record_failure(
                rt, run_id, f"loading shard {ref.table}#{ref.shard_index} failed", error, shard_id
            )
        raise
    with rt.session() as session:
        if not finish_shard(session, shard_id, ShardStatus.LOADED, rows_loaded=rows):
            return "gone"
        finalize = claim_finalization(session, run_id)
        session.commit()
    if finalize:
        try:
            counts = {t.name: warehouse.count_rows(experiment, t) for t in experiment.tables}
        except Exception as error:
            record_failure(rt, run_id, "counting rows in the warehouse failed", error)
            raise
        complete_with_report(rt, run_id, counts)
        return "loaded, run finalized"
    return "loaded"
