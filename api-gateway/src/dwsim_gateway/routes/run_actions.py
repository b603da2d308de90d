"""Run life cycle beyond generate: reset the live data, load an earlier run's Parquet again,
retry a failed run. Each answers like generate (a run to poll) or at once (reset); the work is
`dwsim_shared.runs.service`'s."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, Field

from dwsim_gateway.deps import (
    ExperimentDep,
    RunId,
    RunStatusDep,
    RuntimeDep,
    SessionDep,
)
from dwsim_shared.errors import Conflict
from dwsim_shared.http_edge import RunNumber
from dwsim_shared.runs import service as runs
from dwsim_shared.transient import unavailable_as

router = APIRouter(tags=["runs"])


class LoadRequest(BaseModel):
    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"run_id": 2}, {}]}}

    run_id: RunNumber | None = Field(
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


@router.post("/{name}/reset")
def reset_experiment(
    row: ExperimentDep,
    session: SessionDep,
    rt: RuntimeDep,
    request: Annotated[ResetRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Empty every table of the live data; the tables, the experiment and its runs stay, and
    so does the workspace unless `workspace` is true."""
    live, emptied = runs.reset_live_data(session, rt, row)
    cleared = False
    if (request or ResetRequest()).workspace:
        cleared = _clear_workspace(rt, live.warehouse if live else row.target_warehouse, row.name)
    return {
        "experiment": row.name,
        "live_run_id": live.number if live else None,
        "tables_emptied": emptied,
        "workspace_cleared": cleared,
    }


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
    run, source = runs.submit_load(session, rt, row, request.run_id)
    if request.workspace:
        _clear_workspace(rt, row.target_warehouse, row.name)
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
    run, retried = runs.retry_run(session, rt, row, run_id)
    cache.forget(row.name, run_id)  # polls must see it active again, not the cached FAILED
    return {
        "run_id": run.number,
        "experiment": row.name,
        "status": run.status,
        "shards_retried": retried,
        "links": {"run": f"/api/experiments/{row.name}/runs/{run.number}"},
    }
