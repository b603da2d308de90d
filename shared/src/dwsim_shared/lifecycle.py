"""Run life cycle in the state DB beyond shards: prepared, published (live), retention, and the
load and retry of earlier runs. Gateway and workers share these, as they share runs.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_shared.errors import Conflict
from dwsim_shared.leases import lease_end
from dwsim_shared.lineage.history import record_event, record_run_event
from dwsim_shared.runs import next_run_number
from dwsim_shared.state.models import (
    ACTIVE_RUN_STATUSES,
    COMPLETED_RUN_STATUSES,
    ExperimentRow,
    RunRow,
    RunShardRow,
    RunStatus,
    ShardStatus,
)


def mark_prepared(session: Session, run_id: int, *, now: dt.datetime, lease_s: float) -> list[Any]:
    """The run's staging exists: shards may start. Each gets a lease for its queued task (the
    sweeper re-enqueues it if that task is lost); returns (shard id, status) to enqueue."""
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
    return list(
        session.execute(
            select(RunShardRow.id, RunShardRow.status)
            .where(RunShardRow.run_id == run_id, RunShardRow.status != ShardStatus.LOADED)
            .order_by(RunShardRow.table_name, RunShardRow.shard_index)
        ).all()
    )


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
    result = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE_RUN_STATUSES))
        .values(
            status=status,
            published_at=now,
            finished_at=now,
            lease_until=None,
            report=report,
            plan_digest=func.coalesce(RunRow.plan_digest, plan_digest),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        record_run_event(session, run_id, "publish", status=str(status))
    session.commit()


def live_run(session: Session, experiment_id: int) -> RunRow | None:
    """The run whose data is live in the warehouse: the last one published."""
    return session.scalars(
        select(RunRow)
        .where(RunRow.experiment_id == experiment_id, RunRow.published_at.is_not(None))
        .order_by(RunRow.published_at.desc(), RunRow.id.desc())
        .limit(1)
    ).first()


def stale_stagings(session: Session, run: RunRow) -> list[int]:
    """Runs of the same experiment whose staging may still exist: finished unpublished runs
    since the live one (a published run's staging became the live data)."""
    live = live_run(session, run.experiment_id)
    return list(
        session.scalars(
            select(RunRow.id).where(
                RunRow.experiment_id == run.experiment_id,
                RunRow.id != run.id,
                RunRow.id > (live.id if live else 0),
                RunRow.published_at.is_(None),
            )
        )
    )


def runs_to_prune(session: Session, experiment_id: int, keep: int) -> list[RunRow]:
    """Generate runs whose objects go: not among the last `keep` completed ones, and older
    than the newest completed one (a failed run after it keeps its objects for a retry)."""
    runs = list(
        session.scalars(
            select(RunRow)
            .where(RunRow.experiment_id == experiment_id, RunRow.kind == "generate")
            .order_by(RunRow.id.desc())
        )
    )
    completed = [r for r in runs if r.status in COMPLETED_RUN_STATUSES]
    if not completed:
        return []
    kept = {r.id for r in completed[:keep]}
    newest = completed[0].id
    return [
        r
        for r in runs
        if r.id not in kept
        and r.id < newest
        and r.objects_deleted_at is None
        and r.status not in ACTIVE_RUN_STATUSES
    ]


def run_prefixes(experiment: str, run: RunRow) -> list[str]:
    return [f"experiments/{experiment}/{table}/run_{run.id}/" for table in run.row_targets]


def latest_completed_generate(session: Session, experiment_id: int) -> RunRow | None:
    return session.scalars(
        select(RunRow)
        .where(
            RunRow.experiment_id == experiment_id,
            RunRow.kind == "generate",
            RunRow.status.in_(COMPLETED_RUN_STATUSES),
        )
        .order_by(RunRow.id.desc())
        .limit(1)
    ).first()


def create_load_run(session: Session, experiment: ExperimentRow, source: RunRow) -> RunRow:
    """A `load` run of `source`'s kept Parquet: its shards start GENERATED, pointing at the
    source's objects, so they go through the same staged load, progress and finalize."""
    run = RunRow(
        experiment_id=experiment.id,
        number=next_run_number(session, experiment.id),
        kind="load",
        status=RunStatus.QUEUED,
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
    source_shards = session.scalars(
        select(RunShardRow).where(RunShardRow.run_id == source.id).order_by(RunShardRow.id)
    ).all()
    run.shards = [
        RunShardRow(
            table_name=s.table_name,
            shard_index=s.shard_index,
            row_start=s.row_start,
            row_count=s.row_count,
            status=ShardStatus.GENERATED,
            object_key=s.object_key,
            rows_written=s.rows_written,
            checksum=s.checksum,
            object_bytes=s.object_bytes,
        )
        for s in source_shards
    ]
    session.add(run)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(
            f"experiment {experiment.name!r} already has an active run; wait for it to finish",
            experiment=experiment.name,
        ) from error
    record_event(session, experiment.id, "load", run.id, source_run_id=source.id)
    return run


def reopen_failed_run(
    session: Session, run: RunRow, experiment: str, *, now: dt.datetime, lease_s: float
) -> None:
    """Make a FAILED run active again: shards that did not finish go back to the state their
    next task starts from (an object written: GENERATED, else PENDING); loaded shards stay."""
    session.execute(
        update(RunRow)
        .where(RunRow.id == run.id, RunRow.status == RunStatus.FAILED)
        .values(
            status=RunStatus.RUNNING,
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
        .execution_options(synchronize_session=False)
    )
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(
            f"experiment {experiment!r} already has an active run; wait for it to finish",
            experiment=experiment,
        ) from error
    record_event(session, run.experiment_id, "retry", run.id)
    for shard in session.scalars(
        select(RunShardRow).where(
            RunShardRow.run_id == run.id, RunShardRow.status != ShardStatus.LOADED
        )
    ):
        generated = shard.object_key is not None and shard.status != ShardStatus.GENERATING
        shard.status = ShardStatus.GENERATED if generated else ShardStatus.PENDING
        shard.attempts = 0
        shard.lease_until = lease_end(now, lease_s)
        shard.last_error = None
