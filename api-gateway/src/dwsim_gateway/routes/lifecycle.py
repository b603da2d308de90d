"""Run life cycle beyond generate: reset the live data, load an earlier run's Parquet again,
retry a failed run. Each answers like generate (a run to poll) or at once (reset)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from dwsim_gateway.deps import (
    RUN_ID_MAX,
    ExperimentDep,
    RunId,
    RunStatusDep,
    RuntimeDep,
    SessionDep,
)
from dwsim_shared.celery_app import (
    FINALIZE_RUN,
    GENERATE_SHARD,
    LOAD_SHARD,
    PREPARE_RUN,
    check_broker,
    enqueue,
)
from dwsim_shared.errors import Conflict, DependencyUnavailable
from dwsim_shared.experiment import Experiment
from dwsim_shared.lifecycle import (
    create_load_run,
    latest_completed_generate,
    live_run,
    reopen_failed_run,
)
from dwsim_shared.lineage.history import forget_run_events, record_event
from dwsim_shared.runs import active_run, run_by_number
from dwsim_shared.state.models import (
    COMPLETED_RUN_STATUSES,
    RunRow,
    RunShardRow,
    RunStatus,
    ShardStatus,
    utcnow,
)
from dwsim_shared.transient import unavailable_as

router = APIRouter(tags=["runs"])


class LoadRequest(BaseModel):
    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"run_id": 2}, {}]}}

    run_id: Annotated[int, Field(ge=1, le=RUN_ID_MAX)] | None = Field(
        default=None,
        description="The generate run whose Parquet to load; default: the latest completed.",
    )
    workspace: bool = Field(
        default=False,
        description="Also drop everything in the experiment's workspace (its users' own "
        "tables and views); by default a load leaves it alone.",
    )


class ResetRequest(BaseModel):
    model_config = {"extra": "forbid"}

    workspace: bool = Field(
        default=False,
        description="Also drop everything in the experiment's workspace (its users' own "
        "tables and views); by default a reset leaves it alone.",
    )


def _clear_workspace(rt: Any, warehouse_name: str, name: str) -> bool:
    """Drop the workspace's objects; `Conflict` on a warehouse that has no workspace."""
    warehouse = rt.warehouse(warehouse_name)
    clear = getattr(warehouse, "clear_workspace", None)
    if clear is None:
        raise Conflict(
            f"experiment {name!r} is on the {warehouse_name} warehouse, which has no workspace: "
            "leave out workspace",
        )
    with unavailable_as(f"{warehouse_name} warehouse"):
        return bool(clear(name))


def _refuse_if_active(session: Any, experiment_id: int, name: str) -> None:
    if (run := active_run(session, experiment_id)) is not None:
        raise Conflict(
            f"experiment {name!r} has an active run ({run.number}); wait for it or cancel it",
            run_id=run.number,
        )


@router.post("/{name}/reset")
def reset_experiment(
    row: ExperimentDep,
    session: SessionDep,
    rt: RuntimeDep,
    request: Annotated[ResetRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Empty every table of the live data; the tables, the experiment and its runs stay, and
    so does the workspace unless `workspace` is true."""
    request = request or ResetRequest()
    _refuse_if_active(session, row.id, row.name)
    live = live_run(session, row.id)
    cleared = False
    if request.workspace:
        cleared = _clear_workspace(rt, live.warehouse if live else row.target_warehouse, row.name)
    if live is None:
        return {"experiment": row.name, "live_run_id": None, "tables_emptied": [],
                "workspace_cleared": cleared}  # fmt: skip
    experiment = Experiment.model_validate(live.schema_json)
    with unavailable_as(f"{live.warehouse} warehouse"):
        emptied = rt.warehouse(live.warehouse).reset(experiment)
    record_event(session, row.id, "reset", live.id, tables=emptied)
    session.commit()
    return {
        "experiment": row.name, "live_run_id": live.number, "tables_emptied": emptied,
        "workspace_cleared": cleared,
    }  # fmt: skip


def _objects_missing(rt: RuntimeDep, source: RunRow, session: Any) -> str | None:
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


@router.post("/{name}/load", status_code=status.HTTP_202_ACCEPTED)
def load_run(
    row: ExperimentDep,
    session: SessionDep,
    rt: RuntimeDep,
    request: Annotated[LoadRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Load the kept Parquet of an earlier generate run (default: the latest completed) into
    the warehouse again, through the same staged load and publish as a generate run."""
    request = request or LoadRequest()
    _refuse_if_active(session, row.id, row.name)
    if request.run_id is None:
        source = latest_completed_generate(session, row.id)
        if source is None:
            raise Conflict(f"experiment {row.name!r} has no completed generate run to load")
    else:
        source = run_by_number(session, row, request.run_id)
        if source.kind != "generate" or source.status not in COMPLETED_RUN_STATUSES:
            raise Conflict(
                f"run {source.number} is a {source.status} {source.kind} run; "
                "only a completed generate run can be loaded"
            )
    if missing := _objects_missing(rt, source, session):
        raise Conflict(f"run {source.number} cannot be loaded: {missing}", run_id=source.number)
    rt.warehouse(row.target_warehouse).check()
    check_broker(rt.celery, rt.settings.dependency_timeout_s)
    if request.workspace:
        _clear_workspace(rt, row.target_warehouse, row.name)
    run = create_load_run(session, row, source)
    session.commit()
    try:
        enqueue(rt.celery, PREPARE_RUN, run.id)
    except DependencyUnavailable:
        forget_run_events(session, run.id)
        session.delete(run)
        session.commit()
        raise
    return {
        "run_id": run.number,
        "experiment": row.name,
        "kind": "load",
        "source_run_id": source.number,
        "status": run.status,
        "links": {"run": f"/api/experiments/{row.name}/runs/{run.number}"},
    }


@router.post("/{name}/runs/{run_id}/retry", status_code=status.HTTP_202_ACCEPTED)
def retry_run(
    row: ExperimentDep, run_id: RunId, session: SessionDep, rt: RuntimeDep, cache: RunStatusDep
) -> dict[str, Any]:
    """Run the unfinished part of a FAILED run again (its loaded shards and staging are kept)."""
    run = run_by_number(session, row, run_id)
    if run.status != RunStatus.FAILED:
        raise Conflict(f"run {run_id} is {run.status}; only a FAILED run can be retried")
    newer = session.scalar(
        select(RunRow.number).where(RunRow.experiment_id == row.id, RunRow.id > run.id).limit(1)
    )
    if newer is not None:
        raise Conflict(
            f"run {run_id} is not the latest run of {row.name!r} (run {newer} came after it, "
            "and its staging is gone); generate or load again instead"
        )
    _refuse_if_active(session, row.id, row.name)
    check_broker(rt.celery, rt.settings.dependency_timeout_s)
    reopen_failed_run(session, run, row.name, now=utcnow(), lease_s=rt.settings.lease_s)
    session.commit()
    cache.forget(row.name, run_id)  # polls must see it active again, not the cached FAILED
    session.refresh(run)
    shards = session.execute(
        select(RunShardRow.id, RunShardRow.status).where(
            RunShardRow.run_id == run.id, RunShardRow.status != ShardStatus.LOADED
        )
    ).all()
    # Whatever cannot be enqueued now is picked up by the sweeper once its lease runs out.
    try:
        if run.prepared_at is None:
            enqueue(rt.celery, PREPARE_RUN, run.id)
        elif not shards:
            enqueue(rt.celery, FINALIZE_RUN, run.id)
        else:
            for shard_id, shard_status in shards:
                task = LOAD_SHARD if shard_status == ShardStatus.GENERATED else GENERATE_SHARD
                enqueue(rt.celery, task, shard_id)
    except DependencyUnavailable:
        pass
    return {
        "run_id": run.number,
        "experiment": row.name,
        "status": run.status,
        "shards_retried": len(shards),
        "links": {"run": f"/api/experiments/{row.name}/runs/{run.number}"},
    }
