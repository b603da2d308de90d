"""Prepare a run's staging namespace, load shards into it exactly once each, then finalize:
reconcile the staged counts and publish them as the live data in one atomic step."""

from __future__ import annotations

import logging
import time

from dwsim_shared.celery_app import GENERATE_SHARD, LOAD_SHARD
from dwsim_shared.experiment import Experiment
from dwsim_shared.leases import Taken, release_shard, take_run_step, take_shard
from dwsim_shared.lifecycle import (
    count_mismatch,
    mark_prepared,
    mark_published,
    run_prefixes,
    runs_to_prune,
    stale_stagings,
)
from dwsim_shared.reports import published_report
from dwsim_shared.runs import active_shard, fail_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import RunRow, ShardStatus, utcnow
from dwsim_shared.warehouses.base import ShardRef, staged
from dwsim_shared.worker_runtime import (
    hold_for_tests,
    holding_run,
    holding_shard,
    record_failure,
    retrying,
    try_enqueue,
)

log = logging.getLogger(__name__)


def prepare_run(rt: Runtime, run_id: int) -> str:
    """Create the run's staging namespace (the live data is not touched), then fan out its
    shards: generation, or straight to loading for shards whose objects exist (a load run)."""
    s = rt.settings
    with rt.session() as session:
        taken = take_run_step(
            session, run_id, "prepare", now=utcnow(), lease_s=s.lease_s,
            max_attempts=s.max_attempts,
        )  # fmt: skip
        if isinstance(taken, str):
            return taken
        run = session.get(RunRow, run_id)
        assert run is not None
        experiment = Experiment.model_validate(run.schema_json)
        warehouse_name = run.warehouse
        stale = stale_stagings(session, run)
    warehouse = rt.warehouse(warehouse_name)
    component = f"{warehouse_name} warehouse"

    def prepare() -> None:
        if stale:
            warehouse.drop_staging(experiment.name, stale)
        warehouse.prepare(staged(experiment, run_id))

    with holding_run(rt, run_id, taken):
        try:
            retrying(rt, f"preparing run {run_id}", component, prepare)
        except Exception as error:
            record_failure(rt, run_id, f"preparing the {component} failed", error)
            raise
    with rt.session() as session:
        shards = mark_prepared(session, run_id, now=utcnow(), lease_s=s.lease_s)
    sent = sum(
        try_enqueue(rt, LOAD_SHARD if status == ShardStatus.GENERATED else GENERATE_SHARD, shard)
        for shard, status in shards
    )
    return f"prepared, {sent} shards enqueued"


def load_one_shard(rt: Runtime, shard_id: int) -> str:
    """Load one generated shard into the run's staging; the last one finalizes the run."""
    s = rt.settings
    with rt.session() as session:
        found = active_shard(session, shard_id)
        if isinstance(found, str):
            return found
        shard, run = found
        run_id = run.id
        taken: Taken | str = "already loaded"
        if shard.status != ShardStatus.LOADED:
            taken = take_shard(
                session, shard, "load", now=utcnow(), lease_s=s.lease_s,
                max_attempts=s.max_attempts,
            )  # fmt: skip
        if isinstance(taken, str):
            if taken == "already loaded":  # its loader died before finalizing: finalize now
                return taken + _finalized(finalize_run(rt, run_id))
            return taken
        experiment = Experiment.model_validate(run.schema_json)
        found_table = experiment.table(shard.table_name)
        assert found_table is not None and shard.object_key is not None
        table = found_table
        ref = ShardRef(run.id, table.name, shard.shard_index)
        key, warehouse_name = shard.object_key, run.warehouse
    warehouse = rt.warehouse(warehouse_name)
    target = staged(experiment, run_id)
    where = f"loading shard {ref.table}#{ref.shard_index}"

    def load() -> int:
        # The object store names itself in its errors; the rest is the warehouse's.
        started = time.perf_counter()
        with rt.objects.local_copy(key) as path:
            rows = warehouse.load_shard(target, table, path, ref)
        log.info("loaded %s: %d rows in %.2fs", key, rows, time.perf_counter() - started)
        return rows

    with holding_shard(rt, taken):
        hold_for_tests(rt, experiment.name, ref.shard_index, taken.attempt)
        try:
            rows = retrying(rt, where, f"{warehouse_name} warehouse", load)
        except Exception as error:
            record_failure(rt, run_id, f"{where} failed", error, shard_id)
            raise
    with rt.session() as session:
        if not release_shard(
            session, taken, ShardStatus.LOADED, now=utcnow(), lease_s=s.lease_s, rows_loaded=rows
        ):
            return "superseded by a later attempt"
    return "loaded" + _finalized(finalize_run(rt, run_id))


def _finalized(outcome: str) -> str:
    return ", run finalized" if outcome == "finalized" else ""


def finalize_run(rt: Runtime, run_id: int) -> str:
    """Once every shard is LOADED, exactly one caller (the last loader, or the task the
    sweeper sends when that loader died) counts the staged rows, publishes the staging as
    the live data, and completes the run. A mismatch fails the run and the live data stays."""
    s = rt.settings
    with rt.session() as session:
        taken = take_run_step(
            session, run_id, "finalize", now=utcnow(), lease_s=s.lease_s,
            max_attempts=s.max_attempts,
        )  # fmt: skip
        if isinstance(taken, str):
            return taken
        run = session.get(RunRow, run_id)
        assert run is not None
        experiment = Experiment.model_validate(run.schema_json)
        warehouse_name, targets = run.warehouse, dict(run.row_targets)
        verified = run.reconciled_counts
    warehouse = rt.warehouse(warehouse_name)
    component = f"{warehouse_name} warehouse"
    target = staged(experiment, run_id)
    with holding_run(rt, run_id, taken):
        try:
            if verified is None:
                counts = retrying(
                    rt, f"counting run {run_id}", component,
                    lambda: {t.name: warehouse.count_rows(target, t) for t in experiment.tables},
                )  # fmt: skip
                with rt.session() as session:
                    run = session.get(RunRow, run_id)
                    assert run is not None
                    run.reconciled_counts = counts
                    if problem := count_mismatch(targets, counts):
                        fail_run(session, run_id, problem)
                    session.commit()
                if problem:
                    return "failed: counts"
            # Idempotent: a finalize that died after publishing finds no staging, and completes.
            retrying(
                rt, f"publishing run {run_id}", component,
                lambda: warehouse.publish(experiment, run_id),
            )  # fmt: skip
            # The checks read the live tables, so they run once the staging is published, while
            # this step's lease is still held and renewed (a large report takes minutes).
            report, status, digest = published_report(rt, run_id)
        except Exception as error:
            record_failure(rt, run_id, "finalizing the run failed", error)
            raise
    with rt.session() as session:
        mark_published(
            session, run_id, now=utcnow(), status=status, report=report, plan_digest=digest
        )
    apply_retention(rt, run_id)
    return "finalized"


def apply_retention(rt: Runtime, run_id: int) -> None:
    """Delete the objects of generate runs beyond the last `DWSIM_KEEP_RUNS` completed ones.
    Best effort: a failure is logged and retried after the next completed run."""
    try:
        with rt.session() as session:
            run = session.get(RunRow, run_id)
            if run is None:
                return
            experiment = run.experiment.name
            for old in runs_to_prune(session, run.experiment_id, rt.settings.keep_runs):
                for prefix in run_prefixes(experiment, old):
                    rt.objects.delete_prefix(prefix)
                old.objects_deleted_at = utcnow()
                session.commit()
                log.info("retention: deleted the objects of run %s of %s", old.id, experiment)
    except Exception as error:
        log.warning("retention after run %s failed: %s", run_id, error)
