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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dwsim_query import functions, inspect
from dwsim_query.auth import require_internal_token
from dwsim_query.endpoint.server import RedshiftEndpoint
from dwsim_query.limits import within_bytes, within_time
from dwsim_query.results import ResultColumn, encode_rows
from dwsim_query.service import experiment_context, require_data
from dwsim_shared.errors import (
    Busy,
    DependencyUnavailable,
    DWSimError,
    InvalidInput,
    QueryTooLarge,
    error_text,
)
from dwsim_shared.memory import release_memory
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings, get_settings
from dwsim_shared.warehouses import Warehouse
from dwsim_shared.warehouses.plans import plan_text

log = logging.getLogger(__name__)


class QueryRequest(BaseModel):
    model_config = {"extra": "forbid"}

    experiment: str
    sql: str = Field(min_length=1)
    limit: Annotated[int, Field(ge=1)] | None = None
    offset: Annotated[int, Field(ge=0)] = 0
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
    context = experiment_context(rt, request.experiment)
    prepared = context.prepare(request.sql)
    require_data(context)  # the SQL was checked first, so a mistake is reported before this
    return PreparedQuery(context.name, context.warehouse, prepared.sql, prepared.columns)


def engine_failure(warehouse: Warehouse, error: Exception) -> DWSimError:
    """An error from running a statement or reading its answer, as the caller should see it:
    the project's own errors as they are; a value the driver cannot turn into Python (a year
    past 9999, an invalid text encoding, an overflow) as 422; anything else as 502, the
    engine's failure, naming it (never a library class name)."""
    if isinstance(error, DWSimError):
        return error
    label = f"{warehouse.name} warehouse"
    if isinstance(error, ValueError | ArithmeticError | UnicodeError):
        return UnreadableResult(
            f"the {label} answered a value this service cannot represent: " + error_text(error)
        )
    return EngineFailure(f"the {label} failed on this query: " + error_text(error))


class UnreadableResult(InvalidInput):
    code = "unreadable_result"


class EngineFailure(DWSimError):
    status = 502
    code = "engine_failure"


def _page(
    rt: Runtime, query: PreparedQuery, offset: int, cap: int
) -> tuple[list[str], list[Any], bool]:
    """Rows `offset .. offset + cap` of the answer, read in batches and the first `offset`
    dropped as they come (the service pages; the client never holds the skipped rows)."""
    batches = query.warehouse.stream_query(
        query.experiment,
        query.engine_sql,
        timeout_s=rt.settings.query_timeout_s,
        memory_ceiling_mb=rt.settings.query_memory_ceiling_mb,
    )
    try:
        columns = [str(name) for name in next(batches)]
        skip, rows = offset, list[Sequence[Any]]()
        for batch in batches:
            rows.extend(batch[skip:])
            skip = max(0, skip - len(batch))
            if len(rows) > cap:
                break
    finally:
        batches.close()
    return columns, rows[:cap], len(rows) > cap


def run_query(rt: Runtime, request: QueryRequest) -> dict[str, Any]:
    query = prepare(rt, request)
    cap = min(request.limit or rt.settings.query_row_cap, rt.settings.query_row_cap)
    try:
        if request.offset:
            columns, page, more = _page(rt, query, request.offset, cap)
        else:
            result = query.warehouse.run_query(
                query.experiment,
                query.engine_sql,
                row_cap=cap,
                timeout_s=rt.settings.query_timeout_s,
                byte_cap=rt.settings.query_byte_cap,
                memory_ceiling_mb=rt.settings.query_memory_ceiling_mb,
            )
            columns, page, more = result.columns, result.rows, result.truncated
        rows, cut = within_bytes(
            [[_jsonable(v) for v in r] for r in query.encode(page)],
            rt.settings.query_byte_cap,
        )
    except DWSimError:
        raise
    except Exception as error:
        raise engine_failure(query.warehouse, error) from error
    names = query.names(columns)
    return {
        "columns": names,
        "column_types": [
            {"name": name, "type": c.type} for name, c in zip(names, query.columns, strict=False)
        ],
        "rows": rows,
        "row_count": len(rows),
        "offset": request.offset,
        "truncated": more or cut,
        "engine_sql": query.engine_sql,
    }


class ExplainRequest(BaseModel):
    model_config = {"extra": "forbid"}

    experiment: str
    sql: str = Field(min_length=1)


def explain_query(rt: Runtime, request: ExplainRequest) -> dict[str, Any]:
    """The engine's plan of one statement, checked and rewritten as a query is (nothing runs)."""
    query = prepare(rt, QueryRequest(experiment=request.experiment, sql=request.sql))
    try:
        plan = query.warehouse.explain(
            query.experiment, query.engine_sql, timeout_s=rt.settings.query_timeout_s
        )
    except DWSimError:
        raise
    except Exception as error:
        raise engine_failure(query.warehouse, error) from error
    return {
        "engine": query.warehouse.name,
        "engine_sql": query.engine_sql,
        "plan": plan,
        "text": plan_text(plan),
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
        query.experiment,
        query.engine_sql,
        timeout_s=rt.settings.export_timeout_s,
        memory_ceiling_mb=rt.settings.query_memory_ceiling_mb,
    )
    try:
        columns = query.names([str(name) for name in next(batches)])
    except Exception as error:
        raise engine_failure(query.warehouse, error) from error

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


async def start_redshift_endpoint(rt: Runtime) -> RedshiftEndpoint | None:
    """The Redshift endpoint, listening, when the Redshift mock is configured (port 0: off).

    A port already taken leaves the REST service up and says so: the endpoint is a door of
    its own, not a reason to refuse queries."""
    settings = rt.settings
    if not settings.redshift_url or not settings.redshift_endpoint_port:
        return None
    endpoint = RedshiftEndpoint(
        rt, settings.redshift_endpoint_host, settings.redshift_endpoint_port,
        settings.home / "endpoint",
    )  # fmt: skip
    try:
        await endpoint.start()
    except OSError as error:
        log.error(
            "redshift endpoint: cannot listen on %s:%s (%s); set DWSIM_REDSHIFT_ENDPOINT_PORT",
            settings.redshift_endpoint_host, settings.redshift_endpoint_port, error.strerror,
        )  # fmt: skip
        return None
    log.info("redshift endpoint listening on %s:%s", endpoint.host, endpoint.port)
    return endpoint


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = Runtime(settings)
        endpoint = await start_redshift_endpoint(app.state.runtime)
        yield
        if endpoint is not None:
            await endpoint.close()
        app.state.runtime.close()

    app = FastAPI(title="DW Simulator query service", version="0.1.0", lifespan=lifespan)

    @app.exception_handler(DWSimError)
    def _dwsim_error(_: Request, error: DWSimError) -> JSONResponse:
        if isinstance(error, QueryTooLarge):
            release_memory()  # back to the service's normal size after a query stopped large
        return JSONResponse(
            status_code=error.status, content=error.to_dict(), headers=error.headers
        )

    @app.exception_handler(PoolTimeout)
    def _state_pool_full(_: Request, error: PoolTimeout) -> JSONResponse:
        log.warning("state database pool exhausted: %s", error)
        busy = Busy("state database", "every connection of the query service's pool is in use")
        return JSONResponse(status_code=busy.status, content=busy.to_dict(), headers=busy.headers)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Last resort: a clear JSON body (never a bare 500 page, never a class name).
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        body = {
            "error": "internal_error",
            "message": "the query service failed: " + error_text(error, "see its log"),
        }
        return JSONResponse(status_code=500, content=body)

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
    app.include_router(functions.router, dependencies=[Depends(require_internal_token)])

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

    @app.post("/explain", dependencies=[Depends(require_internal_token)])
    async def explain(request: ExplainRequest) -> dict[str, Any]:
        """The engine's plan of one read-only statement, as a tree and as indented text."""
        return await within_time(
            settings.query_timeout_s, explain_query, app.state.runtime, request
        )

    return app
