"""`POST /query`: one read-only statement of an experiment, run against its warehouse."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from dwsim_query.bounds import within_time
from dwsim_query.service import csv_stream, run_query
from dwsim_shared.http_edge import ExperimentNameText

router = APIRouter(tags=["query"])


class QueryRequest(BaseModel):
    model_config = {"extra": "forbid"}

    experiment: ExperimentNameText
    sql: str = Field(min_length=1)
    limit: Annotated[int, Field(ge=1)] | None = None
    format: Literal["json", "csv"] = Field(
        default="json", description="json: rows capped at the row cap; csv: the result streamed"
    )


@router.post("/query", response_model=None)
async def query(request: Request, body: QueryRequest) -> dict[str, Any] | StreamingResponse:
    """Run one read-only statement of an experiment against its warehouse."""
    rt = request.app.state.runtime
    if body.format == "csv":
        lines = await run_in_threadpool(csv_stream, rt, body.experiment, body.sql, body.limit)
        filename = f"{body.experiment}.csv"
        return StreamingResponse(
            lines,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    timeout_s = rt.settings.query_timeout_s
    return await within_time(timeout_s, run_query, rt, body.experiment, body.sql, body.limit)
