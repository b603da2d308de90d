"""`POST /api/experiments/{name}/query`: forwarded to the query service."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from dwsim_gateway.deps import ExperimentDep, SettingsDep
from dwsim_shared.errors import DependencyUnavailable

router = APIRouter(tags=["query"])


class QueryRequest(BaseModel):
    model_config = {"extra": "forbid"}

    sql: str = Field(
        min_length=1, description="One read-only statement in the experiment's dialect."
    )
    limit: Annotated[int, Field(ge=1)] | None = None


@router.post("/{name}/query")
def run_query(row: ExperimentDep, request: QueryRequest, settings: SettingsDep) -> JSONResponse:
    """Run SQL written with the experiment's logical table names against its warehouse."""
    url = f"{settings.resolved_query_service_url}/query"
    payload: dict[str, Any] = {"experiment": row.name, **request.model_dump(exclude_none=True)}
    try:
        answer = httpx.post(url, json=payload, timeout=settings.query_timeout_s + 10)
    except httpx.HTTPError as error:
        raise DependencyUnavailable("query service", f"{url}: {error}") from error
    try:
        body = answer.json()
    except ValueError as error:
        raise DependencyUnavailable(
            "query service", f"answered {answer.status_code} without JSON"
        ) from error
    return JSONResponse(status_code=answer.status_code, content=body)
