"""The run life cycle's operations: one function per route (generate, load, retry, cancel, reset)
and per step boundary of the tasks (prepared, reconciled, published). Status changes go through
`transitions`; what to enqueue next comes from `dispatch.next_tasks`; runs are made in `create`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dwsim_shared.celery_app import check_broker, enqueue
from dwsim_shared.errors import Conflict, DependencyUnavailable
from dwsim_shared.experiment import Experiment
from dwsim_shared.experiment_checks import check_experiment
from dwsim_shared.input_limits import check_run_size
from dwsim_shared.lineage.history import (
    forget_run_events,
    record_event,
    record_run_event,
)
from dwsim_shared.runs.create import (
    create_load_run,
    create_run,
    refuse_if_active,
    reopen_failed_run,
)
from dwsim_shared.runs.dispatch import NextTask, next_tasks
from dwsim_shared.runs.leases import lease_end
from dwsim_shared.runs.plan import row_targets_for, with_row_targets
from dwsim_shared.runs.queries import (
    latest_completed_generate,
    live_run,
    newer_run_number,
    run_by_number,
    run_prefixes,
    runs_to_prune,
    unfinished_shards,
)
from dwsim_shared.runs.transitions import (
    abort_run,
    fail_run,
    update_run,
)
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import (
    COMPLETED_RUN_STATUSES,
    ExperimentRow,
    RunRow,
    RunShardRow,
    RunStatus,
    ShardStatus,
    utcnow,
)
from dwsim_shared.transient import unavailable_as

log = logging.getLogger(__name__)

# --- what the gateway's routes call ---------------------------------------------------------


def send(rt: Runtime, tasks: Iterable[NextTask]) -> int:
    """Enqueue `tasks`; the number sent. One the broker refuses is left to the sweeper (its
    lease is set), so a refusal is logged, not raised."""
    sent = 0
    for task in tasks:
        try:
            enqueue(rt.celery, task.task, task.target)
        except DependencyUnavailable as error:
            log.warning(
                "could not enqueue %s(%s), the sweeper will: %s", task.task, task.target, error
            )
            continue
        sent += 1
    return sent


def _enqueue_first_step(session: Session, rt: Runtime, run: RunRow) -> None:
    """Send a new run's first step; if the broker refuses, leave no trace of the run."""
    try:
        for task in next_tasks(run, []):
            enqueue(rt.celery, task.task, task.target)
    except DependencyUnavailable:
        forget_run_events(session, run.id)
        session.delete(run)
        session.commit()
        raise


def submit_generate(
    session: Session,
    rt: Runtime,
    row: ExperimentRow,
    *,
    rows: dict[str, int] | None,
    seed: int | None,
    shard_size: int | None,
) -> RunRow:
    """Plan a generate run (shards in the state DB) and enqueue its prepare step."""
    experiment = Experiment.model_validate(row.schema_json)
    targets = row_targets_for(experiment, rows)
    shard_size = shard_size or rt.settings.shard_size
    check_run_size(targets, shard_size, rt.settings)
    if rows:
        check_experiment(with_row_targets(experiment, targets))
    rt.warehouse(row.target_warehouse).check()
    rt.objects.check()
    check_broker(rt.celery, rt.settings.dependency_timeout_s)
    run = create_run(
        session,
        row,
        experiment,
        warehouse=row.target_warehouse,
        seed=seed if seed is not None else experiment.seed,
        row_targets=targets,
        shard_size=shard_size,
    )
    session.commit()
    _enqueue_first_step(session, rt, run)
    return run


def _objects_missing(session: Session, rt: Runtime, source: RunRow) -> str | None:
    if source.objects_deleted_at is not None:
        return "its objects were deleted by retention (DWSIM_KEEP_RUNS)"
    keys = session.scalars(select(RunShardRow.object_key).where(RunShardRow.run_id == source.id))
    prefix_keys: dict[str, set[str]] = {}
    for key in keys:
        if key is None:
            return "some of its shards were never generated"
        prefix = key.rsplit("/", 1)[0] + "/"
        if prefix not in prefix_keys:
            prefix_keys[prefix] = set(rt.objects.list_keys(prefix))
        if key not in prefix_keys[prefix]:
            return f"object {key} is gone from the object store"
    return None


def submit_load(
    session: Session, rt: Runtime, row: ExperimentRow, source_number: int | None
) -> tuple[RunRow, RunRow]:
    """A load run of an earlier generate run's kept Parquet (default: the latest completed),
    enqueued; returns (the new run, its source)."""
    refuse_if_active(session, row)
    if source_number is None:
        source = latest_completed_generate(session, row.id)
        if source is None:
            raise Conflict(f"experiment {row.name!r} has no completed generate run to load")
    else:
        source = run_by_number(session, row, source_number)
        if source.kind != "generate" or source.status not in COMPLETED_RUN_STATUSES:
            raise Conflict(
                f"run {source.number} is a {source.status} {source.kind} run; "
                "only a completed generate run can be loaded"
            )
    if missing := _objects_missing(session, rt, source):
        raise Conflict(f"run {source.number} cannot be loaded: {missing}", run_id=source.number)
    rt.warehouse(row.target_warehouse).check()
    check_broker(rt.celery, rt.settings.dependency_timeout_s)
    run = create_load_run(session, row, source)
    session.commit()
    _enqueue_first_step(session, rt, run)
    return run, source


def retry_run(session: Session, rt: Runtime, row: ExperimentRow, number: int) -> tuple[RunRow, int]:
    """Run the unfinished part of a FAILED run again (its loaded shards and staging are kept);
    returns the run and how many shards are retried."""
    run = run_by_number(session, row, number)
    if run.status != RunStatus.FAILED:
        raise Conflict(f"run {number} is {run.status}; only a FAILED run can be retried")
    if (newer := newer_run_number(session, run)) is not None:
        raise Conflict(
            f"run {number} is not the latest run of {row.name!r} (run {newer} came after it, "
            "and its staging is gone); generate or load again instead"
        )
    refuse_if_active(session, row)
    check_broker(rt.celery, rt.settings.dependency_timeout_s)
    reopen_failed_run(session, run, row, now=utcnow(), lease_s=rt.settings.lease_s)
    session.commit()
    session.refresh(run)
    shards = unfinished_shards(session, run.id)
    # Whatever cannot be enqueued now is picked up by the sweeper once its lease runs out.
    send(rt, next_tasks(run, shards))
    return run, len(shards)


def cancel_run(session: Session, rt: Runtime, row: ExperimentRow, number: int) -> RunRow:
    """Abort an active run: queued tasks find it ABORTED and skip; its staging is dropped.
    `Conflict` for a finished run."""
    run = run_by_number(session, row, number)
    if not abort_run(session, run.id):
        session.refresh(run)
        if run.status == RunStatus.RUNNING and run.published_at is not None:
            raise Conflict(
                f"run {number} of {row.name!r} is already published (its data is live); only its "
                "validation report is still running, so it cannot be cancelled",
                run_id=number,
            )
        raise Conflict(f"run {number} of {row.name!r} is {run.status}, not active", run_id=number)
    session.commit()
    session.refresh(run)
    drop_staging_quietly(rt, run, row.name)
    return run


def drop_staging_quietly(rt: Runtime, run: RunRow, experiment: str) -> None:
    """A cancelled run's staging goes now; if the warehouse cannot be reached, the next run of
    the experiment drops it when it prepares."""
    try:
        rt.warehouse(run.warehouse).drop_staging(experiment, [run.id])
    except Exception as error:
        log.warning("could not drop the staging of run %s yet: %s", run.id, error)


def reset_live_data(
    session: Session, rt: Runtime, row: ExperimentRow
) -> tuple[RunRow | None, list[str]]:
    """Empty every table of the live data; (the live run, the tables emptied)."""
    refuse_if_active(session, row)
    live = live_run(session, row.id)
    if live is None:
        return None, []
    experiment = Experiment.model_validate(live.schema_json)
    with unavailable_as(f"{live.warehouse} warehouse"):
        emptied = rt.warehouse(live.warehouse).reset(experiment)
    record_event(session, row.id, "reset", live.id, tables=emptied)
    session.commit()
    return live, emptied


# --- what the tasks call at their step boundaries -------------------------------------------


def mark_prepared(session: Session, run_id: int, *, now: dt.datetime, lease_s: float) -> list[Any]:
    """The run's staging exists: shards may start. Each gets a lease for its queued task (the
    sweeper re-enqueues it if that task is lost); returns (shard id, status) of those shards."""
    session.execute(
        update(RunRow)
        .where(RunRow.id == run_id)
        .values(prepared_at=now, attempts=0, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(RunShardRow)
        .where(RunShardRow.run_id == run_id, RunShardRow.status != ShardStatus.LOADED)
        .values(lease_until=lease_end(now, lease_s))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return unfinished_shards(session, run_id)


def prepared(rt: Runtime, run_id: int) -> int:
    """Record the run as prepared and enqueue its shards' next steps; how many were sent."""
    with rt.session() as session:
        shards = mark_prepared(session, run_id, now=utcnow(), lease_s=rt.settings.lease_s)
        run = session.get(RunRow, run_id)
        assert run is not None
        tasks = next_tasks(run, shards)
    return send(rt, tasks)


def finalize_due(
    rt: Runtime, *, run_id: int | None = None, shard_id: int | None = None
) -> int | None:
    """The run (given, or the shard's) if its next step is its finalize (every shard LOADED):
    `next_tasks`'s rule (a prepared run with no unfinished shard) in one query, as every
    loaded shard asks it."""
    with rt.session() as session:
        if shard_id is not None:
            run_id = session.scalar(select(RunShardRow.run_id).where(RunShardRow.id == shard_id))
        if run_id is None:
            return None
        unfinished = (
            select(RunShardRow.id)
            .where(RunShardRow.run_id == run_id, RunShardRow.status != ShardStatus.LOADED)
            .exists()
        )
        due = session.scalar(
            select(RunRow.id).where(
                RunRow.id == run_id, RunRow.prepared_at.is_not(None), ~unfinished
            )
        )
    return int(due) if due is not None else None


def reconciled(
    rt: Runtime, run_id: int, row_targets: dict[str, Any], counts: dict[str, int]
) -> str | None:
    """Record the staged row counts; a mismatch with the targets fails the run (returned)."""
    with rt.session() as session:
        run = session.get(RunRow, run_id)
        assert run is not None
        run.reconciled_counts = counts
        if problem := count_mismatch(row_targets, counts):
            fail_run(session, run_id, problem)
        session.commit()
    return problem


def count_mismatch(row_targets: dict[str, Any], counts: dict[str, int]) -> str | None:
    wrong = {t: (counts.get(t), e) for t, e in row_targets.items() if counts.get(t) != e}
    if not wrong:
        return None
    return "row counts in the warehouse do not match the targets: " + ", ".join(
        f"{t} has {c} rows, expected {e}" for t, (c, e) in wrong.items()
    )


def mark_live(session: Session, run_id: int, *, now: dt.datetime) -> bool:
    """The run's data was just published: it is what queries read from now on, and the run
    says so (`published_at`) while it stays RUNNING until its validation report is stored with
    its final status. Not a status change; idempotent (a retried finalize keeps the first time)."""
    live = session.execute(
        update(RunRow)
        .where(
            RunRow.id == run_id,
            RunRow.status == RunStatus.RUNNING,
            RunRow.published_at.is_(None),
        )
        .values(published_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(live.rowcount)  # type: ignore[attr-defined]


def went_live(rt: Runtime, run_id: int) -> None:
    with rt.session() as session:
        mark_live(session, run_id, now=utcnow())


def mark_published(
    session: Session,
    run_id: int,
    *,
    now: dt.datetime,
    status: str = RunStatus.COMPLETED,
    report: dict[str, Any] | None = None,
    plan_digest: str | None = None,
) -> None:
    """The run is live and final, with its validation report (one transaction: nobody sees it
    COMPLETED without its report). `published_at` stays the moment its data went live."""
    if update_run(
        session,
        run_id,
        RunStatus(status),
        published_at=func.coalesce(RunRow.published_at, now),
        finished_at=now,
        lease_until=None,
        report=report,
        plan_digest=func.coalesce(RunRow.plan_digest, plan_digest),
    ):
        record_run_event(session, run_id, "publish", status=str(status))
    session.commit()


def published(
    rt: Runtime, run_id: int, *, status: str, report: dict[str, Any] | None, plan_digest: str | None
) -> None:
    """Complete the run (live, with its report), then apply retention."""
    with rt.session() as session:
        mark_published(
            session, run_id, now=utcnow(), status=status, report=report, plan_digest=plan_digest
        )
    apply_retention(rt, run_id)


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
