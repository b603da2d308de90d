"""`POST /api/experiments/{name}/query`: forwarded to the query service."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from dwsim_gateway.deps import ExperimentDep, SettingsDep
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.settings import Settings

router = APIRouter(tags=["query"])


class QueryRequest(BaseModel):
    model_config = {"extra": "forbid"}

    sql: str = Field(
        min_length=1, description="One read-only statement in the experiment's dialect."
    )
    limit: Annotated[int, Field(ge=1)] | None = None
    format: Literal["json", "csv"] = Field(
        default="json",
        description="json: rows up to the row cap; csv: the whole result streamed as text/csv",
    )


@router.post("/{name}/query", response_model=None)
def run_query(row: ExperimentDep, request: QueryRequest, settings: SettingsDep) -> Response:
    """Run SQL written with the experiment's logical table names against its warehouse."""
    url = f"{settings.resolved_query_service_url}/query"
    payload: dict[str, Any] = {"experiment": row.name, **request.model_dump(exclude_none=True)}
    if request.format == "csv":
        return _stream(url, payload, settings.export_timeout_s, internal_headers(settings))
    try:
        answer = httpx.post(
            url,
            json=payload,
            headers=internal_headers(settings),
            timeout=settings.query_timeout_s + 10,
        )
    except httpx.HTTPError as error:
        raise DependencyUnavailable("query service", f"{url}: {error}") from error
    return _relay_json(answer)


def _relay_json(answer: httpx.Response) -> JSONResponse:
    try:
        body = answer.json()
    except ValueError as error:
        raise DependencyUnavailable(
            "query service", f"answered {answer.status_code} without JSON"
        ) from error
    return JSONResponse(status_code=answer.status_code, content=body)


def internal_headers(settings: Settings) -> dict[str, str]:
    """What proves to the query service that the call comes from the gateway."""
    token = settings.resolved_internal_token
    return {"Authorization": f"Bearer {token}"} if token else {}


def _stream(
    url: str, payload: dict[str, Any], timeout_s: float, headers: dict[str, str]
) -> Response:
    """Relay the query service's CSV as it comes, without holding the result in memory."""
    client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=5))
    try:
        answer = client.send(
            client.build_request("POST", url, json=payload, headers=headers), stream=True
        )
    except httpx.HTTPError as error:
        client.close()
        raise DependencyUnavailable("query service", f"{url}: {error}") from error
    if answer.status_code != 200:
        answer.read()
        client.close()
        return _relay_json(answer)

    def close() -> None:
        answer.close()
        client.close()

    return StreamingResponse(
        answer.iter_bytes(),
        media_type=answer.headers.get("content-type", "text/csv"),
        headers={k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"},
        background=BackgroundTask(close),
    )
