"""What the gateway adds to a run's status for its life cycle: which run is live, what an
active run waits for; and the gateway's own sweeper timer (it sweeps like any worker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwsim_shared.celery_app import enqueue
from dwsim_shared.errors import DependencyUnavailable, InvalidInput
from dwsim_shared.runs.dispatch import next_tasks
from dwsim_shared.runs.leases import worker_name
from dwsim_shared.runs.queries import live_run
from dwsim_shared.runs.sweeper import SweeperTimer, live_queues, policy, waiting_for
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ACTIVE_RUN_STATUSES, RunRow, RunShardRow, utcnow
from dwsim_shared.transient import unavailable_as


def start_gateway_sweeper(rt: Runtime) -> SweeperTimer:
    return SweeperTimer(
        rt.session,
        lambda task, target: enqueue(rt.celery, task, target),
        policy(rt.settings),
        name=f"gateway {worker_name()}",
    ).start()


@dataclass(frozen=True)
class _AnyShardIn:
    """Stands for the run's shards in one status (the queues needed depend on statuses only)."""

    status: str
    id: int = 0


def _queues_needed(session: Session, run: RunRow) -> set[str]:
    states = session.scalars(
        select(RunShardRow.status).where(RunShardRow.run_id == run.id).distinct()
    )
    return {task.queue for task in next_tasks(run, [_AnyShardIn(s) for s in states])}


def lifecycle_view(session: Session, rt: Runtime, run: RunRow) -> dict[str, Any]:
    """`live`: this run's data is what queries read; `waiting_for`: set while an active run has
    work for a queue no live worker serves ("waiting for a loader worker")."""
    live = live_run(session, run.experiment_id)
    waiting = None
    if run.status in ACTIVE_RUN_STATUSES:
        waiting = waiting_for(
            _queues_needed(session, run), live_queues(session, utcnow(), policy(rt.settings))
        )
    source = session.get(RunRow, run.source_run_id) if run.source_run_id else None
    return {
        "source_run_id": source.number if source else None,
        "live": live is not None and live.id == run.id,
        "published_at": run.published_at.isoformat() if run.published_at else None,
        "waiting_for": waiting,
    }


def drop_warehouse_data(
    rt: Runtime, experiment: str, warehouses: list[str], run_ids: list[int]
) -> list[str]:
    """Drop the experiment's live data and stagings in each warehouse; a warning (not an
    error) for each warehouse that is unreachable or no longer configured."""
    warnings = []
    for name in warehouses:
        component = f"{name} warehouse"
        try:
            with unavailable_as(component):
                warehouse = rt.warehouse(name)
                warehouse.drop(experiment)
                warehouse.drop_staging(experiment, run_ids)
        except (DependencyUnavailable, InvalidInput) as error:
            warnings.append(
                f"the data of {experiment!r} in the {component} was not dropped: {error.message}"
            )
    return warnings
