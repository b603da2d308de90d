"""`POST /api/experiments/{name}/query`: forwarded to the query service."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import object_session
from starlette.background import BackgroundTask

from dwsim_gateway import history
from dwsim_gateway.deps import ExperimentDep, QueryServiceDep, RuntimeDep
from dwsim_gateway.models import QueryAnswer
from dwsim_gateway.query_client import QueryServiceClient
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ExperimentRow

router = APIRouter(tags=["query"])


class QueryRequest(BaseModel):
    sql: str = Field(description="One read-only statement in the experiment's dialect.")
    limit: Annotated[int, Field(ge=1)] | None = None
    format: Literal["json", "csv"] = Field(
        default="json",
        description="json: rows up to the row cap; csv: the whole result streamed as text/csv",
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"sql": "SELECT COUNT(*) FROM customers", "limit": 100, "format": "json"}]
        },
    }

    @field_validator("sql")
    @classmethod
    def _not_blank(cls, sql: str) -> str:
        if not sql.strip():
            raise ValueError("the SQL is empty: write a statement to run")
        return sql


QUERY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": QueryAnswer,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON rows, or with format csv the whole result as text/csv",
    }
}


@router.post("/{name}/query", response_model=None, responses=QUERY_RESPONSES)
def run_query(
    row: ExperimentDep, request: QueryRequest, rt: RuntimeDep, query_service: QueryServiceDep
) -> Response:
    """Run SQL written with the experiment's logical table names against its warehouse."""
    return forward(rt, query_service, row, request)


def forward(
    rt: Runtime,
    query_service: QueryServiceClient,
    row: ExperimentRow,
    request: QueryRequest,
    saved_query: str | None = None,
) -> Response:
    """Send a query to the query service and relay its answer; the outcome goes to history."""
    experiment_id, name = row.id, row.name
    # A query may run for minutes: give the state connection back first, so concurrent
    # queries do not hold the gateway's state pool.
    release_state(row)
    payload: dict[str, Any] = {"experiment": name, **request.model_dump(exclude_none=True)}
    started = time.monotonic()

    def remember(status_code: int, body: Any = None) -> None:
        history.writer(rt).submit(
            experiment_id, request.sql, started=started, fmt=request.format,
            status_code=status_code, body=body, saved_query=saved_query,
        )  # fmt: skip

    try:
        if request.format == "csv":
            response = _stream(query_service, payload, rt.settings.export_timeout_s)
            remember(response.status_code, _error_body(response))
            return response
        answer = query_service.request("/query", payload)
    except DependencyUnavailable as error:
        remember(503, error.to_dict())
        raise
    response = _relay_json(answer)
    remember(answer.status_code, answer.json())
    return response


def release_state(row: ExperimentRow) -> None:
    """End the request's state transaction (its loaded attributes stay readable)."""
    session = object_session(row)
    if session is not None:
        session.close()


def _error_body(response: Response) -> Any:
    """The JSON error a CSV call answered instead of its stream (None for the stream)."""
    if isinstance(response, JSONResponse):
        return json.loads(bytes(response.body))
    return None


def _relay_json(answer: httpx.Response) -> JSONResponse:
    try:
        body = answer.json()
    except ValueError as error:
        raise DependencyUnavailable(
            "query service", f"answered {answer.status_code} without JSON"
        ) from error
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "retry-after"}
    return JSONResponse(status_code=answer.status_code, content=body, headers=headers)


def _stream(
    query_service: QueryServiceClient, payload: dict[str, Any], timeout_s: float
) -> Response:
    """Relay the query service's CSV as it comes, without holding the result in memory."""
    answer = query_service.request("/query", payload, timeout_s=timeout_s, stream=True)
    if answer.status_code != 200:
        answer.read()
        answer.close()
        return _relay_json(answer)
    return StreamingResponse(
        answer.iter_bytes(),
        media_type=answer.headers.get("content-type", "text/csv"),
        headers={k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"},
        background=BackgroundTask(answer.close),
    )
