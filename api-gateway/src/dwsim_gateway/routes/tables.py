"""Tables of an experiment: schema with keys and rules, row counts, preview and profile."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from dwsim_gateway.deps import ExperimentDep, QueryServiceDep, SessionDep
from dwsim_gateway.describe import describe_table, experiment_notes
from dwsim_gateway.models import PreviewAnswer, ProfileAnswer, TablesAnswer
from dwsim_shared.experiment import Experiment
from dwsim_shared.runs.queries import live_run

router = APIRouter(tags=["tables"])

PREVIEW_DEFAULT = 50
PREVIEW_MAX = 1000


@router.get("/{name}/tables", response_model=TablesAnswer)
def list_tables(
    row: ExperimentDep,
    session: SessionDep,
    query_service: QueryServiceDep,
    source: Annotated[
        Literal["live", "document"],
        Query(
            description="live: what the warehouse holds (last published run); document: as saved now"
        ),
    ] = "live",
) -> dict[str, Any]:
    """Each table with its columns (types, keys, links, rules), rows in the warehouse and the
    run that produced them."""
    run = live_run(session, row.id)  # the last published run: what the warehouse holds
    live = source == "live" and run is not None
    experiment = Experiment.model_validate(run.schema_json if live and run else row.schema_json)
    counts: dict[str, int] = {}
    if live:
        counts = query_service.post("/inspect/counts", {"experiment": row.name})["counts"]
    return {
        "experiment": row.name,
        "source": source,
        "source_dialect": experiment.source_dialect,
        "warehouse": run.warehouse if live and run else row.target_warehouse,
        "run": (
            {
                "run_id": run.number,
                "status": run.status,
                "warehouse": run.warehouse,
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            }
            if live and run
            else None
        ),
        "tables": [
            describe_table(t, counts.get(t.name) if live else None) for t in experiment.tables
        ],
        "notes": experiment_notes(experiment),
    }


@router.get("/{name}/tables/{table}/preview", response_model=PreviewAnswer)
def preview_table(
    row: ExperimentDep,
    table: str,
    query_service: QueryServiceDep,
    limit: Annotated[int, Query(ge=1, le=PREVIEW_MAX, description="rows, at most 1000")] = (
        PREVIEW_DEFAULT
    ),
) -> dict[str, Any]:
    """The first rows of one table, read in the warehouse."""
    payload = {"experiment": row.name, "table": table, "limit": limit}
    return query_service.post("/inspect/preview", payload)


@router.get("/{name}/tables/{table}/profile", response_model=ProfileAnswer)
def profile_table(row: ExperimentDep, table: str, query_service: QueryServiceDep) -> dict[str, Any]:
    """Per column: null fraction, distinct count (approximate on Snowflake), min, max and the
    most frequent values, computed in the warehouse by one query."""
    return query_service.post("/inspect/profile", {"experiment": row.name, "table": table})
