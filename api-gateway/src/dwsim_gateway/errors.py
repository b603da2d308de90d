"""Every error becomes one JSON shape: `{"error", "message", "details"}` with the right status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from dwsim_shared.errors import Busy, DependencyUnavailable, DWSimError, InvalidInput, error_text
from dwsim_shared.experiment import format_loc

log = logging.getLogger(__name__)


def _json(error: DWSimError) -> JSONResponse:
    return JSONResponse(status_code=error.status, content=error.to_dict(), headers=error.headers)


def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for item in exc.errors():
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        if loc and loc[0] == "body":
            loc = loc[1:]
        message = str(item["msg"]).removeprefix("Value error, ")
        if item.get("type") == "json_invalid":
            ctx = item.get("ctx") or {}
            message = f"invalid JSON: {ctx.get('error', message)}"
        problems.append({"path": format_loc(loc), "message": message})
    first = problems[0] if problems else {"path": "$", "message": "invalid request"}
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return _json(InvalidInput(f"{first['path']}: {first['message']}{more}", problems=problems))


def _state_down(_: Request, exc: Exception) -> JSONResponse:
    orig = getattr(exc, "orig", exc)
    return _json(DependencyUnavailable("state database", str(orig).strip()))


def _state_pool_full(_: Request, exc: Exception) -> JSONResponse:
    log.warning("state database pool exhausted: %s", exc)
    return _json(Busy("state database", "every connection of the gateway's pool is in use"))


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def _http(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers (no such route, wrong method) in the project's shape."""
    status = getattr(exc, "status_code", 500)
    body = {
        "error": _HTTP_CODES.get(status, "http_error"),
        "message": str(getattr(exc, "detail", exc)),
    }
    return JSONResponse(status_code=status, content=body, headers=getattr(exc, "headers", None))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        status_code=500,
        content={
            "error": "internal_error",
            "message": "internal error: " + error_text(exc, "see the gateway log"),
        },
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DWSimError, lambda _r, e: _json(e))
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(OperationalError, _state_down)
    app.add_exception_handler(DBAPIError, _state_down)
    app.add_exception_handler(PoolTimeout, _state_pool_full)
    app.add_exception_handler(Exception, _unexpected)
