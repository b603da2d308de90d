"""Lineage: an experiment's graph (versions -> runs -> objects -> loads -> live tables), the
differences between two runs, and the environment this stack generates with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from dwsim_gateway.deps import ExperimentDep, SessionDep
from dwsim_shared.http_edge import RUN_ID_MAX
from dwsim_shared.lineage.graph import lineage_graph, run_diff
from dwsim_shared.lineage.provenance import environment
from dwsim_shared.runs.queries import run_by_number

router = APIRouter(tags=["lineage"])
environment_router = APIRouter(tags=["lineage"])

RunQuery = Annotated[
    int, Query(ge=1, le=RUN_ID_MAX, description="run id (the run's number in its experiment)")
]


@router.get("/{name}/lineage")
def show_lineage(
    row: ExperimentDep, session: SessionDep, run: RunQuery | None = None
) -> dict[str, Any]:
    """The lineage graph: typed nodes (experiment_version, run, object, load, table), typed
    edges (submitted, wrote, reloaded_by, loaded_into, published_to) and the history of
    events (create, update, generate, load, retry, publish, fail, abort, reset). `run`
    narrows it to what leads to and from that run."""
    if run is not None:
        run_by_number(session, row, run)
    return lineage_graph(session, row, run)


@router.get("/{name}/lineage/diff")
def diff_runs(row: ExperimentDep, session: SessionDep, a: RunQuery, b: RunQuery) -> dict[str, Any]:
    """What changed between runs `a` and `b`: document, seed, plan, versions, row counts."""
    return run_diff(run_by_number(session, row, a), run_by_number(session, row, b))


@environment_router.get("/environment")
def show_environment() -> dict[str, Any]:
    """The project's version, its lock file's digest and the versions of the libraries whose
    output shapes generated values (Faker, NumPy, PyArrow) on this stack."""
    return environment()
