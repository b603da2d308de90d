"""Run life cycle in the state DB: plan, create, progress, shard transitions, finalize.

Gateway and workers share these functions so that every status change is
written one way. Polling reads progress from `run_shards` in one grouped query.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_shared.errors import Conflict, NotFound
from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.plan import compile_plan
from dwsim_shared.lineage.history import current_version, record_event, record_run_event
from dwsim_shared.lineage.provenance import run_provenance
from dwsim_shared.state.models import (
    ACTIVE_RUN_STATUSES,
    ExperimentRow,
    RunRow,
    RunShardRow,
    RunStatus,
    ShardStatus,
    utcnow,
)

SHARD_INSERT_BATCH = 5_000


@dataclass(frozen=True)
class ShardPlan:
    table: str
    shard_index: int
    row_start: int
    row_count: int


def iter_shard_plan(row_targets: dict[str, int], shard_size: int) -> Iterator[ShardPlan]:
    """Split every table's exact row count into shards of `shard_size` rows (the last may be smaller).

    A table of 0 rows still gets one empty shard, so it is created and counted like any other.

    >>> [(s.table, s.row_start, s.row_count) for s in iter_shard_plan({"t": 5}, 2)]
    [('t', 0, 2), ('t', 2, 2), ('t', 4, 1)]
    """
    for table, rows in row_targets.items():
        count = max(1, -(-rows // shard_size))
        for index in range(count):
            start = index * shard_size
            yield ShardPlan(table, index, start, max(0, min(shard_size, rows - start)))


def plan_shards(row_targets: dict[str, int], shard_size: int) -> list[ShardPlan]:
    return list(iter_shard_plan(row_targets, shard_size))


def row_targets_for(experiment: Experiment, overrides: dict[str, int] | None) -> dict[str, int]:
    """Each table's target_rows, replaced by the run's overrides (names matched case-insensitively)."""
    targets = {t.name: t.target_rows for t in experiment.tables}
    for name, rows in (overrides or {}).items():
        table = experiment.table(name)
        if table is None:
            from dwsim_shared.errors import InvalidInput

            known = ", ".join(targets)
            raise InvalidInput(
                f"rows: unknown table {name!r} (tables: {known})", path=f"rows.{name}"
            )
        targets[table.name] = rows
    return targets


def with_row_targets(experiment: Experiment, targets: dict[str, int]) -> Experiment:
    """The experiment as a run with these row counts will generate it (for re-validation:
    a unique range or a required parent that fits `target_rows` may not fit the override)."""
    tables = [
        t.model_copy(update={"target_rows": targets.get(t.name, t.target_rows)})
        for t in experiment.tables
    ]
    return experiment.model_copy(update={"tables": tables})


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
    """Insert a QUEUED run with its shard plan; `Conflict` if the experiment already has an active run."""
    document = experiment.to_json()
    run = RunRow(
        experiment_id=experiment_row.id,
        number=next_run_number(session, experiment_row.id),
        kind="generate",
        status=RunStatus.QUEUED,
        seed=seed if seed is not None else secrets.randbits(62),
        shard_size=shard_size,
        warehouse=warehouse,
        schema_json=document,
        row_targets=row_targets,
        plan_digest=compile_plan(experiment, row_targets).digest,
        provenance=run_provenance(document),
    )
    session.add(run)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(
            f"experiment {experiment_row.name!r} already has an active run; wait for it to finish",
            experiment=experiment_row.name,
        ) from error
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
    while batch := list(itertools.islice(plan, SHARD_INSERT_BATCH)):
        session.execute(
            insert(RunShardRow),
            [{"run_id": run.id, "table_name": p.table, "shard_index": p.shard_index,
              "row_start": p.row_start, "row_count": p.row_count} for p in batch],
        )  # fmt: skip
    return run


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


def active_shard(session: Session, shard_id: int) -> tuple[RunShardRow, RunRow] | str:
    """A shard and its run while the run is active; otherwise why there is nothing to do."""
    shard = session.get(RunShardRow, shard_id)
    if shard is None:
        return "gone"
    if shard.run.status not in ACTIVE_RUN_STATUSES:
        return f"run {shard.run.status.lower()}"
    return shard, shard.run


def fail_run(session: Session, run_id: int, error: str, traceback: str | None = None) -> None:
    """Mark an active run FAILED with its error; a finished run is left as it is."""
    result = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE_RUN_STATUSES))
        .values(status=RunStatus.FAILED, error=error, traceback=traceback, finished_at=utcnow())
    )
    if result.rowcount:  # type: ignore[attr-defined]
        record_run_event(session, run_id, "fail", error=error)


def abort_run(session: Session, run_id: int) -> bool:
    """Mark an active run ABORTED; False if it had already finished."""
    result = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE_RUN_STATUSES))
        .values(status=RunStatus.ABORTED, error="aborted by a user", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        record_run_event(session, run_id, "abort")
    return bool(result.rowcount)  # type: ignore[attr-defined]
