"""The run life cycle's operations: one function per route (generate, load, retry, cancel, reset)
and per step boundary of the tasks (prepared, published). Status changes go through
`transitions`; what to enqueue next comes from `dispatch.next_tasks`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_shared.celery_app import check_broker, enqueue
from dwsim_shared.errors import Conflict, DependencyUnavailable
from dwsim_shared.experiment import Experiment, check_experiment
from dwsim_shared.generation.plan import compile_plan
from dwsim_shared.input_limits import check_run_size
from dwsim_shared.lineage.history import (
    current_version,
    forget_run_events,
    record_event,
    record_run_event,
)
from dwsim_shared.lineage.provenance import run_provenance
from dwsim_shared.runs.dispatch import NextTask, Step, next_tasks
from dwsim_shared.runs.leases import lease_end
from dwsim_shared.runs.plan import iter_shard_plan, row_targets_for, with_row_targets
from dwsim_shared.runs.queries import (
    active_run,
    latest_completed_generate,
    live_run,
    newer_run_number,
    next_run_number,
    run_by_number,
    run_prefixes,
    runs_to_prune,
    unfinished_shards,
)
from dwsim_shared.runs.transitions import (
    abort_run,
    fail_run,
    move_run,
    move_shard,
    new_shard_status,
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

SHARD_INSERT_BATCH = 5_000


# --- the one active run per experiment ------------------------------------------------------


def active_run_conflict(session: Session, row: ExperimentRow) -> Conflict:
    """The refusal when `row` has an active run (naming it when it is still there)."""
    run = active_run(session, row.id)
    if run is None:  # another submission won the race and finished already
        return Conflict(
            f"experiment {row.name!r} already has an active run; wait for it to finish",
            experiment=row.name,
        )
    return Conflict(
        f"experiment {row.name!r} has an active run ({run.number}); wait for it or cancel it",
        run_id=run.number,
    )


def refuse_if_active(session: Session, row: ExperimentRow) -> None:
    if active_run(session, row.id) is not None:
        raise active_run_conflict(session, row)


@contextlib.contextmanager
def _becoming_active(session: Session, row: ExperimentRow) -> Iterator[None]:
    """Around the write that makes a run of `row` active: the database's partial unique index
    lets one active run per experiment exist, so a concurrent submission is refused here,
    whatever the checks before it saw."""
    try:
        yield
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise active_run_conflict(session, row) from error


# --- creating runs --------------------------------------------------------------------------


def create_run(
    session: Session,
    experiment_row: ExperimentRow,
    experiment: Experiment,
    *,
    warehouse: str,
    seed: int | None,
    row_targets: dict[str, int],
    shard_size: int,
) -> RunRow:
    """Insert a QUEUED generate run with its shard plan; `Conflict` if the experiment already
    has an active run."""
    document = experiment.to_json()
    run = RunRow(
        experiment_id=experiment_row.id,
        number=next_run_number(session, experiment_row.id),
        kind="generate",
        seed=seed if seed is not None else secrets.randbits(62),
        shard_size=shard_size,
        warehouse=warehouse,
        schema_json=document,
        row_targets=row_targets,
        plan_digest=compile_plan(experiment, row_targets).digest,
        provenance=run_provenance(document),
    )
    move_run(run, RunStatus.QUEUED)
    with _becoming_active(session, experiment_row):
        session.add(run)
    run.experiment_version = current_version(session, experiment_row).version
    record_event(
        session,
        experiment_row.id,
        "generate",
        run.id,
        seed=run.seed,
        version=run.experiment_version,
    )
    # In batches, so the gateway's memory does not grow with the number of shards.
    plan = iter_shard_plan(row_targets, shard_size)
    first = new_shard_status(generated=False)
    while batch := list(itertools.islice(plan, SHARD_INSERT_BATCH)):
        session.execute(
            insert(RunShardRow),
            [{"run_id": run.id, "table_name": p.table, "shard_index": p.shard_index,
              "row_start": p.row_start, "row_count": p.row_count, "status": first}
             for p in batch],
        )  # fmt: skip
    return run


def create_load_run(session: Session, experiment: ExperimentRow, source: RunRow) -> RunRow:
    """A `load` run of `source`'s kept Parquet: its shards start GENERATED, pointing at the
    source's objects, so they go through the same staged load, progress and finalize."""
    run = RunRow(
        experiment_id=experiment.id,
        number=next_run_number(session, experiment.id),
        kind="load",
        seed=source.seed,
        shard_size=source.shard_size,
        warehouse=experiment.target_warehouse,
        schema_json=source.schema_json,
        row_targets=source.row_targets,
        source_run_id=source.id,
        plan_digest=source.plan_digest,
        experiment_version=source.experiment_version,
        provenance=source.provenance,
    )
    move_run(run, RunStatus.QUEUED)
    source_shards = session.scalars(
        select(RunShardRow).where(RunShardRow.run_id == source.id).order_by(RunShardRow.id)
    ).all()
    run.shards = [
        RunShardRow(
            table_name=s.table_name,
            shard_index=s.shard_index,
            row_start=s.row_start,
            row_count=s.row_count,
            object_key=s.object_key,
            rows_written=s.rows_written,
            checksum=s.checksum,
            object_bytes=s.object_bytes,
        )
        for s in source_shards
    ]
    for shard in run.shards:
        move_shard(shard, new_shard_status(generated=True))
    with _becoming_active(session, experiment):
        session.add(run)
    record_event(session, experiment.id, "load", run.id, source_run_id=source.id)
    return run


def reopen_failed_run(
    session: Session, run: RunRow, experiment: ExperimentRow, *, now: dt.datetime, lease_s: float
) -> None:
    """Make a FAILED run active again: shards that did not finish go back to the state their
    next task starts from (an object written: GENERATED, else PENDING); loaded shards stay."""
    with _becoming_active(session, experiment):
        update_run(
            session,
            run.id,
            RunStatus.RUNNING,
            from_=(RunStatus.FAILED,),
            error=None,
            traceback=None,
            finished_at=None,
            finalizing=False,
            attempts=0,
            lease_until=lease_end(now, lease_s),
            reconciled_counts=None,
            # The retry's duration and rows/s count from its own start, not the first attempt's.
            started_at=now,
        )
    record_event(session, run.experiment_id, "retry", run.id)
    for shard in session.scalars(
        select(RunShardRow).where(
            RunShardRow.run_id == run.id, RunShardRow.status != ShardStatus.LOADED
        )
    ):
        generated = shard.object_key is not None and shard.status != ShardStatus.GENERATING
        move_shard(
            shard,
            ShardStatus.GENERATED if generated else ShardStatus.PENDING,
            attempts=0,
            lease_until=lease_end(now, lease_s),
            last_error=None,
        )


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
    """The run (given, or the shard's) if its next step is its finalize (every shard LOADED)."""
    with rt.session() as session:
        if shard_id is not None:
            shard = session.get(RunShardRow, shard_id)
            run_id = shard.run_id if shard is not None else None
        run = session.get(RunRow, run_id) if run_id is not None else None
        if run is None:
            return None
        tasks = next_tasks(run, unfinished_shards(session, run.id))
    return run.id if [t.step for t in tasks] == [Step.FINALIZE] else None


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
    COMPLETED without its report)."""
    if update_run(
        session,
        run_id,
        RunStatus(status),
        published_at=now,
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
