"""What the gateway adds to a run's status for its life cycle: which run is live, what an
active run waits for; and the gateway's own sweeper timer (it sweeps like any worker)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwsim_shared.celery_app import GENERATE_QUEUE, LOAD_QUEUE, enqueue
from dwsim_shared.errors import DependencyUnavailable, InvalidInput
from dwsim_shared.leases import worker_name
from dwsim_shared.lifecycle import live_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ACTIVE_RUN_STATUSES, RunRow, RunShardRow, ShardStatus, utcnow
from dwsim_shared.sweeper import Policy, SweeperTimer, live_queues, waiting_for
from dwsim_shared.transient import unavailable_as

log = logging.getLogger(__name__)


def policy(rt: Runtime) -> Policy:
    s = rt.settings
    return Policy(lease_s=s.lease_s, sweep_s=s.sweep_s, max_attempts=s.max_attempts)


def start_gateway_sweeper(rt: Runtime) -> SweeperTimer:
    return SweeperTimer(
        rt.session,
        lambda task, target: enqueue(rt.celery, task, target),
        policy(rt),
        name=f"gateway {worker_name()}",
    ).start()


def _queues_needed(session: Session, run: RunRow) -> set[str]:
    if run.prepared_at is None:
        return {LOAD_QUEUE}
    states = set(
        session.scalars(select(RunShardRow.status).where(RunShardRow.run_id == run.id).distinct())
    )
    needed = set()
    if states & {ShardStatus.PENDING, ShardStatus.GENERATING}:
        needed.add(GENERATE_QUEUE)
    if states - {ShardStatus.PENDING, ShardStatus.GENERATING}:
        needed.add(LOAD_QUEUE)
    return needed


def lifecycle_view(session: Session, rt: Runtime, run: RunRow) -> dict[str, Any]:
    """`live`: this run's data is what queries read; `waiting_for`: set while an active run has
    work for a queue no live worker serves ("waiting for a loader worker")."""
    live = live_run(session, run.experiment_id)
    waiting = None
    if run.status in ACTIVE_RUN_STATUSES:
        waiting = waiting_for(
            _queues_needed(session, run), live_queues(session, utcnow(), policy(rt))
        )
    source = session.get(RunRow, run.source_run_id) if run.source_run_id else None
    return {
        "source_run_id": source.number if source else None,
        "live": live is not None and live.id == run.id,
        "published_at": run.published_at.isoformat() if run.published_at else None,
        "waiting_for": waiting,
    }


def drop_staging_quietly(rt: Runtime, run: RunRow, experiment: str) -> None:
    """A cancelled run's staging goes now; if the warehouse cannot be reached, the next run of
    the experiment drops it when it prepares."""
    try:
        rt.warehouse(run.warehouse).drop_staging(experiment, [run.id])
    except Exception as error:
        log.warning("could not drop the staging of run %s yet: %s", run.id, error)


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
