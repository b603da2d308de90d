"""Runs: submit a generation (202 + polling), list and show runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from dwsim_gateway.deps import (
    ExperimentDep,
    ExperimentName,
    RunId,
    RunStatusDep,
    RuntimeDep,
    SessionDep,
)
from dwsim_gateway.models import GenerateAnswer, RunList, RunView
from dwsim_gateway.run_lifecycle import lifecycle_view
from dwsim_shared.objectstore import experiment_prefix
from dwsim_shared.reports import verdict
from dwsim_shared.runs import service as runs
from dwsim_shared.runs.queries import progress
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ACTIVE_RUN_STATUSES, ExperimentRow, RunRow

router = APIRouter(tags=["runs"])


class GenerateRequest(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"rows": {"customers": 1000, "orders": 5000}, "seed": 42}]
        },
    }

    rows: dict[str, Annotated[int, Field(ge=0)]] | None = Field(
        default=None, description="Row count per table, replacing target_rows for this run."
    )
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = Field(
        default=None, description="Run seed; a random one is recorded when omitted."
    )
    shard_size: Annotated[int, Field(ge=1, le=50_000_000)] | None = None


def report_state(run: RunRow) -> dict[str, Any] | None:
    """`pending` while a published run (its data live and queryable) computes its report,
    `done` once stored with the run's final status, None before the data is published."""
    if run.report is not None:
        return {
            "state": "done",
            "failed": run.report.get("failed"),
            "total": run.report.get("total"),
        }
    if run.published_at is not None and run.status in ACTIVE_RUN_STATUSES:
        return {"state": "pending"}
    return None


def run_view(session: Any, rt: Runtime, run: RunRow, experiment: str) -> dict[str, Any]:
    tables = progress(session, run)
    totals = {
        key: sum(t[key] for t in tables.values())
        for key in ("target_rows", "generated_rows", "loaded_rows")
    }
    return {
        "run_id": run.number,
        "internal_id": run.id,
        "experiment": experiment,
        "kind": run.kind,
        "status": run.status,
        "seed": str(run.seed),
        "shard_size": run.shard_size,
        "warehouse": run.warehouse,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
        "plan_digest": run.plan_digest,
        "verdict": verdict(run.report),
        "report": report_state(run),
        **lifecycle_view(session, rt, run),
        "tables": tables,
        "totals": totals,
        "objects": rt.objects.url(experiment_prefix(experiment)),
    }


@router.post(
    "/{name}/generate", status_code=status.HTTP_202_ACCEPTED, response_model=GenerateAnswer
)
def generate(
    row: ExperimentDep,
    session: SessionDep,
    rt: RuntimeDep,
    request: Annotated[GenerateRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Plan a run (shards in the state DB) and enqueue it; poll the run's link for progress."""
    request = request or GenerateRequest()
    run = runs.submit_generate(
        session, rt, row, rows=request.rows, seed=request.seed, shard_size=request.shard_size
    )
    return {
        "run_id": run.number,
        "experiment": row.name,
        "status": run.status,
        "seed": str(run.seed),
        "links": {"run": f"/api/experiments/{row.name}/runs/{run.number}"},
    }


def _experiment_runs(session: Any, row: ExperimentRow) -> list[RunRow]:
    return list(
        session.scalars(
            select(RunRow).where(RunRow.experiment_id == row.id).order_by(RunRow.id.desc())
        )
    )


@router.get("/{name}/runs", response_model=RunList)
def list_runs(row: ExperimentDep, session: SessionDep, rt: RuntimeDep) -> dict[str, Any]:
    return {"runs": [run_view(session, rt, r, row.name) for r in _experiment_runs(session, row)]}


@router.post("/{name}/runs/{run_id}/cancel", response_model=RunView)
def cancel_run(
    row: ExperimentDep, run_id: RunId, session: SessionDep, rt: RuntimeDep, cache: RunStatusDep
) -> dict[str, Any]:
    """Abort an active run: queued tasks find it ABORTED and skip; a finished run answers 409."""
    run = runs.cancel_run(session, rt, row, run_id)
    cache.forget(row.name, run_id)
    return run_view(session, rt, run, row.name)


@router.get("/{name}/runs/{run_id}", response_model=RunView)
async def show_run(
    name: ExperimentName, run_id: RunId, rt: RuntimeDep, cache: RunStatusDep
) -> Response:
    """Status and per-table target / generated / loaded counts: poll this until it is final
    (figures may be up to a few seconds old: polls are answered from a cached view)."""
    return await cache.response(rt, name, run_id, run_view)
