"""`POST /inspect/counts|preview|profile`: a table's rows, first rows and column profile."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from dwsim_query import inspection
from dwsim_shared.http_edge import ExperimentNameText

router = APIRouter(prefix="/inspect", tags=["inspect"])

PREVIEW_MAX_ROWS = 1000


class ExperimentRequest(BaseModel):
    model_config = {"extra": "forbid"}

    experiment: ExperimentNameText


class TableRequest(ExperimentRequest):
    table: str


class PreviewRequest(TableRequest):
    limit: Annotated[int, Field(ge=1, le=PREVIEW_MAX_ROWS)] = 50


@router.post("/counts")
async def counts(request: Request, body: ExperimentRequest) -> dict[str, Any]:
    """Rows in the warehouse per table of the experiment's live data."""
    rt = request.app.state.runtime
    return await run_in_threadpool(inspection.count_tables, rt, body.experiment)


@router.post("/preview")
async def preview(request: Request, body: PreviewRequest) -> dict[str, Any]:
    """The first `limit` rows of one table."""
    rt = request.app.state.runtime
    return await run_in_threadpool(inspection.preview, rt, body.experiment, body.table, body.limit)


@router.post("/profile")
async def profile(request: Request, body: TableRequest) -> dict[str, Any]:
    """Per column: null fraction, distinct count, min, max and most frequent values."""
    rt = request.app.state.runtime
    return await run_in_threadpool(inspection.profile, rt, body.experiment, body.table)
