"""The query service: `uvicorn dwsim_query.main:create_app --factory`."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from dwsim_query import inspect
from dwsim_query.auth import require_internal_token
from dwsim_query.compat.experiment_schema import schema_of
from dwsim_query.limits import within_bytes, within_time
from dwsim_query.pipeline import prepare_query
from dwsim_query.results import ResultColumn, encode_rows
from dwsim_shared.errors import (
    Conflict,
    DependencyUnavailable,
    DWSimError,
    InvalidInput,
    NotFound,
)
from dwsim_shared.experiment import Experiment
from dwsim_shared.lifecycle import live_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings, get_settings
from dwsim_shared.state.models import ExperimentRow
from dwsim_shared.warehouses import Warehouse

log = logging.getLogger(__name__)


class QueryRequest(BaseModel):
    model_config = {"extra": "forbid"}

    experiment: str
    sql: str = Field(min_length=1)
    limit: Annotated[int, Field(ge=1)] | None = None
    format: Literal["json", "csv"] = Field(
        default="json", description="json: rows capped at the row cap; csv: the result streamed"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):  # exact: as text, never through a float
        return format(value, "f")
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


@dataclass(frozen=True)
class PreparedQuery:
    experiment: str
    warehouse: Warehouse
    engine_sql: str
    columns: list[ResultColumn]

    def names(self, engine_names: list[str]) -> list[str]:
        """The source's names for the result, where the engine's are positional stand-ins."""
        if len(self.columns) != len(engine_names):
            return engine_names
        return [c.name for c in self.columns]

    def encode(self, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        return encode_rows(rows, self.columns)


def prepare(rt: Runtime, request: QueryRequest) -> PreparedQuery:
    """Check the SQL against the experiment and rewrite it for its warehouse (no execution)."""
    with rt.session() as session:
        row = session.scalars(
            select(ExperimentRow).where(ExperimentRow.name == request.experiment)
        ).first()
        if row is None:
            raise NotFound(f"experiment {request.experiment!r} does not exist")
        # The warehouse's live data is what the last published run loaded, in that run's schema,
        # even if the document changed since (or a newer run is still staging).
        run = live_run(session, row.id)
        experiment = Experiment.model_validate(run.schema_json if run else row.schema_json)
        warehouse_name = run.warehouse if run else row.target_warehouse
        has_data = run is not None
    warehouse = rt.warehouse(warehouse_name)
    known = [t.name for t in experiment.tables]

    def resolve(name: str) -> Any:
        table = experiment.table(name)
        return None if table is None else warehouse.physical_table(experiment.name, table.name)

    prepared = prepare_query(
        request.sql,
        experiment.source_dialect,
        warehouse.sqlglot_dialect,
        resolve,
        known,
        schema_of(experiment),
    )
    if not has_data:  # the SQL was checked first, so a mistake is reported before this
        raise Conflict(
            f"experiment {request.experiment!r} has no data yet: generate a run first",
            experiment=request.experiment,
        )
    return PreparedQuery(experiment.name, warehouse, prepared.sql, prepared.columns)


def run_query(rt: Runtime, request: QueryRequest) -> dict[str, Any]:
    query = prepare(rt, request)
    cap = min(request.limit or rt.settings.query_row_cap, rt.settings.query_row_cap)
    result = query.warehouse.run_query(
        query.experiment, query.engine_sql, row_cap=cap, timeout_s=rt.settings.query_timeout_s
    )
    rows, cut = within_bytes(
        [[_jsonable(v) for v in r] for r in query.encode(result.rows)], rt.settings.query_byte_cap
    )
    names = query.names(result.columns)
    return {
        "columns": names,
        "column_types": [
            {"name": name, "type": c.type} for name, c in zip(names, query.columns, strict=False)
        ],
        "rows": rows,
        "row_count": len(rows),
        "truncated": result.truncated or cut,
        "engine_sql": query.engine_sql,
    }


def _csv_value(value: Any) -> Any:
    if isinstance(value, dict | list | bool):  # a BOOLEAN is written true / false
        return json.dumps(value)
    return _jsonable(value)


def csv_stream(rt: Runtime, request: QueryRequest) -> Iterator[str]:
    """The result as CSV text, header first; the statement runs before this returns, so a bad
    query is still an error status rather than a broken stream."""
    query = prepare(rt, request)
    batches = query.warehouse.stream_query(
        query.experiment, query.engine_sql, timeout_s=rt.settings.export_timeout_s
    )
    columns = query.names([str(name) for name in next(batches)])

    def lines() -> Iterator[str]:
        remaining = request.limit
        sink = io.StringIO()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(columns)
        for batch in batches:
            rows = batch if remaining is None else batch[:remaining]
            writer.writerows([_csv_value(v) for v in row] for row in query.encode(rows))
            yield sink.getvalue()
            sink.seek(0)
            sink.truncate()
            if remaining is not None:
                remaining -= len(rows)
                if remaining <= 0:
                    break
        yield sink.getvalue()
        batches.close()

    return lines()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = Runtime(settings)
        yield
        app.state.runtime.close()

    app = FastAPI(title="DW Simulator query service", version="0.1.0", lifespan=lifespan)

    @app.exception_handler(DWSimError)
    def _dwsim_error(_: Request, error: DWSimError) -> JSONResponse:
        return JSONResponse(status_code=error.status, content=error.to_dict())

    @app.exception_handler(RequestValidationError)
    def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"path": ".".join(str(p) for p in e["loc"][1:]) or "$", "message": e["msg"]}
            for e in error.errors()
        ]
        body = InvalidInput(f"{problems[0]['path']}: {problems[0]['message']}", problems=problems)
        return JSONResponse(status_code=422, content=body.to_dict())

    @app.exception_handler(DBAPIError)
    def _state_down(_: Request, error: DBAPIError) -> JSONResponse:
        body = DependencyUnavailable("state database", str(error.orig).strip())
        return JSONResponse(status_code=503, content=body.to_dict())

    app.include_router(inspect.router, dependencies=[Depends(require_internal_token)])

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/query", response_model=None, dependencies=[Depends(require_internal_token)])
    async def query(request: QueryRequest) -> dict[str, Any] | StreamingResponse:
        """Run one read-only statement of an experiment against its warehouse."""
        if request.format == "csv":
            lines = await run_in_threadpool(csv_stream, app.state.runtime, request)
            filename = f"{request.experiment}.csv"
            return StreamingResponse(
                lines,
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return await within_time(settings.query_timeout_s, run_query, app.state.runtime, request)

    return app
