"""Reads of the run life cycle: a run by its number, the active and the live run, progress for
polling (one grouped query), and the runs whose staging or objects may go."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dwsim_shared.errors import NotFound
from dwsim_shared.runs.outcomes import Skip, Skipped
from dwsim_shared.state.models import (
    ACTIVE_RUN_STATUSES,
    COMPLETED_RUN_STATUSES,
    ExperimentRow,
    RunRow,
    RunShardRow,
    ShardStatus,
)


def next_run_number(session: Session, experiment_id: int) -> int:
    """The number the experiment's next run gets (1 for its first): two runs submitted at once
    cannot both take it (a unique index), and the one refused is told another run is active."""
    highest = session.scalar(
        select(func.max(RunRow.number)).where(RunRow.experiment_id == experiment_id)
    )
    return (highest or 0) + 1


def run_by_number(session: Session, experiment_row: ExperimentRow, number: int) -> RunRow:
    """The experiment's run with this number; `NotFound` naming both otherwise."""
    run = session.scalars(
        select(RunRow).where(RunRow.experiment_id == experiment_row.id, RunRow.number == number)
    ).first()
    if run is None:
        raise NotFound(f"experiment {experiment_row.name!r} has no run {number}", run_id=number)
    return run


def active_run(session: Session, experiment_id: int) -> RunRow | None:
    return session.scalars(
        select(RunRow).where(
            RunRow.experiment_id == experiment_id, RunRow.status.in_(ACTIVE_RUN_STATUSES)
        )
    ).first()


def active_shard(session: Session, shard_id: int) -> tuple[RunShardRow, RunRow] | Skipped:
    """A shard and its run while the run is active; otherwise why there is nothing to do."""
    shard = session.get(RunShardRow, shard_id)
    if shard is None:
        return Skipped(Skip.GONE)
    if shard.run.status not in ACTIVE_RUN_STATUSES:
        return Skipped(Skip.RUN_ENDED, shard.run.status)
    return shard, shard.run


def unfinished_shards(session: Session, run_id: int) -> list[Any]:
    """(id, status) of the run's shards not yet LOADED, in plan order."""
    return list(
        session.execute(
            select(RunShardRow.id, RunShardRow.status)
            .where(RunShardRow.run_id == run_id, RunShardRow.status != ShardStatus.LOADED)
            .order_by(RunShardRow.table_name, RunShardRow.shard_index)
        ).all()
    )


def progress(session: Session, run: RunRow) -> dict[str, dict[str, Any]]:
    """Per table: target, generated and loaded rows, and shard counts, from one grouped query."""
    generated_states = (ShardStatus.GENERATED, ShardStatus.LOADING, ShardStatus.LOADED)
    rows = session.execute(
        select(
            RunShardRow.table_name,
            func.count(),
            func.sum(case((RunShardRow.status == ShardStatus.LOADED, 1), else_=0)),
            func.sum(
                case((RunShardRow.status.in_(generated_states), RunShardRow.rows_written), else_=0)
            ),
            func.sum(RunShardRow.rows_loaded),
            func.sum(case((RunShardRow.status == ShardStatus.FAILED, 1), else_=0)),
        )
        .where(RunShardRow.run_id == run.id)
        .group_by(RunShardRow.table_name)
    ).all()
    by_table = {r[0]: r for r in rows}
    result: dict[str, dict[str, Any]] = {}
    for table, target in run.row_targets.items():
        r = by_table.get(table)
        result[table] = {
            "target_rows": target,
            "generated_rows": int(r[3] or 0) if r else 0,
            "loaded_rows": int(r[4] or 0) if r else 0,
            "shards": int(r[1]) if r else 0,
            "shards_loaded": int(r[2] or 0) if r else 0,
            "shards_failed": int(r[5] or 0) if r else 0,
        }
    return result


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


def newer_run_number(session: Session, run: RunRow) -> int | None:
    """The number of a run of the same experiment submitted after `run`, if any."""
    return session.scalar(
        select(RunRow.number)
        .where(RunRow.experiment_id == run.experiment_id, RunRow.id > run.id)
        .limit(1)
    )
