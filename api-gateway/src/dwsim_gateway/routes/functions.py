"""`GET /api/experiments/{name}/functions`: the SQL function catalogue for the experiment's
dialect and engine (signature, result type, runs here or refused and why, reference page), as
the worksheet's hover and completion help reads it. Answered by the query service, which owns
the catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dwsim_gateway.deps import ExperimentDep, QueryServiceDep

router = APIRouter(tags=["query"])


@router.get("/{name}/functions")
def functions(row: ExperimentDep, query_service: QueryServiceDep) -> dict[str, Any]:
    """Each catalogued function: `signature`, `result`, `supported` on this engine, `status`
    (why not, or what to write instead for the other dialect's functions), `doc`."""
    return query_service.post("/functions", {"experiment": row.name})
