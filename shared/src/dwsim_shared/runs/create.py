"""Creating runs: a generate run with its shard plan, a load run of kept objects, a failed run
reopened for a retry; and the one refusal when the experiment already has an active run."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import secrets
from collections.abc import Iterator

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_shared.errors import Conflict
from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.plan import compile_plan
from dwsim_shared.lineage.history import current_version, record_event
from dwsim_shared.lineage.provenance import run_provenance
from dwsim_shared.runs.leases import lease_end
from dwsim_shared.runs.plan import iter_shard_plan
from dwsim_shared.runs.queries import active_run, next_run_number
from dwsim_shared.runs.transitions import move_run, move_shard, new_shard_status, update_run
from dwsim_shared.state.models import ExperimentRow, RunRow, RunShardRow, RunStatus, ShardStatus

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
