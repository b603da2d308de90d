"""Prepare a run's staging namespace, load shards into it exactly once each, then finalize:
reconcile the staged counts and publish them as the live data in one atomic step.

Each task is its data path inside a step of `worker_runtime` (lease, row, schema, failure);
what happens to the run around it is `dwsim_shared.runs.service`'s."""

from __future__ import annotations

import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dwsim_shared.reports import published_report, run_contract
from dwsim_shared.reports.loaded import load_with_facts
from dwsim_shared.runs import service
from dwsim_shared.runs.dispatch import Step
from dwsim_shared.runs.outcomes import Done, Failed, Outcome, Skip, Skipped
from dwsim_shared.runtime import Runtime
from dwsim_shared.warehouses.base import ShardRef, staged
from dwsim_shared.worker_runtime import hold_report_for_tests, retrying, run_step, shard_step

log = logging.getLogger(__name__)


def prepare_run(rt: Runtime, run_id: int) -> Outcome:
    """Create the run's staging namespace (the live data is not touched), then fan out its
    shards: generation, or straight to loading for shards whose objects exist (a load run)."""
    with run_step(rt, run_id, Step.PREPARE) as step:
        if isinstance(step, Skipped):
            return step
        warehouse = rt.warehouse(step.warehouse)
        name, stale, target = (
            step.experiment.name,
            step.stale_stagings,
            staged(step.experiment, run_id),
        )

        def prepare() -> None:
            if stale:
                warehouse.drop_staging(name, stale)
            warehouse.prepare(target)

        retrying(rt, f"preparing run {run_id}", step.component, prepare)
    return Done(Step.PREPARE, enqueued=service.prepared(rt, run_id))


def load_one_shard(rt: Runtime, shard_id: int) -> Outcome:
    """Load one generated shard into the run's staging; the last one finalizes the run."""
    with shard_step(rt, shard_id, Step.LOAD) as step:
        if isinstance(step, Skipped):
            if step.reason is Skip.ALREADY_DONE:  # its loader died before finalizing: now
                return dataclasses.replace(step, then=_finalize_if_due(rt, shard_id=shard_id))
            return step
        key, run_id = step.object_key, step.run_id
        assert key is not None
        warehouse = rt.warehouse(step.warehouse)
        target, table = staged(step.experiment, run_id), step.table
        ref = ShardRef(run_id, table.name, step.shard_index)

        def load() -> tuple[int, dict[str, Any]]:
            # The object store names itself in its errors; the rest is the warehouse's.
            started = time.perf_counter()
            with rt.objects.local_copy(key) as path:
                rows, facts = load_with_facts(warehouse, target, table, path, ref)
            log.info("loaded %s: %d rows in %.2fs", key, rows, time.perf_counter() - started)
            return rows, facts

        rows, facts = retrying(rt, step.where, f"{step.warehouse} warehouse", load)
        step.finish(rows_loaded=rows, load_facts=facts)
    if step.outcome != Done(Step.LOAD):
        assert step.outcome is not None
        return step.outcome
    return Done(Step.LOAD, then=_finalize_if_due(rt, run_id=step.run_id))


def _finalize_if_due(rt: Runtime, **run_or_shard: int) -> Outcome | None:
    run_id = service.finalize_due(rt, **run_or_shard)
    return finalize_run(rt, run_id) if run_id is not None else None


def finalize_run(rt: Runtime, run_id: int) -> Outcome:
    """Once every shard is LOADED, exactly one caller (the last loader, or the task the
    sweeper sends when that loader died) counts the staged rows, publishes the staging as
    the live data (the run says it is live), computes the report, and completes the run. A mismatch fails the run and the live data stays."""
    with run_step(rt, run_id, Step.FINALIZE) as step:
        if isinstance(step, Skipped):
            return step
        warehouse = rt.warehouse(step.warehouse)
        experiment, target = step.experiment, staged(step.experiment, run_id)
        # The generation contract the report compares the loads with is computed on a thread
        # while this step counts and publishes: the report (after the data is live) then does
        # not wait for it. (A run that fails its counts drops it, unread.)
        early = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contract")
        contract = early.submit(run_contract, rt, run_id)
        early.shutdown(wait=False)
        if step.reconciled_counts is None:
            counts = retrying(
                rt, f"counting run {run_id}", step.component,
                lambda: {t.name: warehouse.count_rows(target, t) for t in experiment.tables},
            )  # fmt: skip
            if service.reconciled(rt, run_id, step.row_targets, counts):
                return Failed("counts")
        # Idempotent: a finalize that died after publishing finds no staging, and completes.
        retrying(
            rt, f"publishing run {run_id}", step.component,
            lambda: warehouse.publish(experiment, run_id),
        )  # fmt: skip
        # The data is queryable now, and the run says so (RUNNING, `published_at` set, its
        # report pending). The checks read the live tables, so they run after, while this
        # step's lease is still held and renewed (a large report takes minutes); the run's
        # final status is written only with the report.
        service.went_live(rt, run_id)
        hold_report_for_tests(rt, experiment.name)
        report, status, digest = published_report(rt, run_id, contract.result)
    service.published(rt, run_id, status=status, report=report, plan_digest=digest)
    return Done(Step.FINALIZE)
