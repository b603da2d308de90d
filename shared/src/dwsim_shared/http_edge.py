"""The HTTP edge both services share: one error body (`{"error", "message", "details"}`), the
exception handlers that produce it, and the one bearer-token check.

Every error a service raises (`DWSimError`), a request FastAPI refuses, a route or method that
does not exist, the state database down or its pool full, and anything unexpected answer in
this shape with the right status; a library's class name never reaches the user.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from dwsim_shared.errors import (
    Busy,
    DWSimError,
    InvalidInput,
    Unauthorized,
    error_text,
)
from dwsim_shared.experiment import EXPERIMENT_NAME, format_loc
from dwsim_shared.state.db import state_unavailable

log = logging.getLogger(__name__)

# Ids as requests carry them, checked before they reach a database, a path or an object key:
# an experiment's name (no NUL, no control characters), and a run's number (the state
# database's run ids are 32-bit integers: a larger one is refused, never sent to it).
RUN_ID_MAX = 2**31 - 1
ExperimentNameText = Annotated[
    str, Field(description="experiment name", max_length=63, pattern=EXPERIMENT_NAME.pattern)
]
RunNumber = Annotated[int, Field(description="run number in its experiment", ge=1, le=RUN_ID_MAX)]

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_response(error: DWSimError) -> JSONResponse:
    """The one error body, with the error's status and headers (Retry-After)."""
    return JSONResponse(status_code=error.status, content=error.to_dict(), headers=error.headers)


def bearer_matches(given: str | bytes | None, token: str | None) -> bool:
    """Whether an `Authorization` header carries `Bearer <token>` (always, when no token is
    set); compared in constant time."""
    if token is None:
        return True
    if isinstance(given, str):
        given = given.encode()
    return hmac.compare_digest(given or b"", f"Bearer {token}".encode())


def require_bearer(given: str | None, token: str | None, hint: str) -> None:
    """`Unauthorized` unless `given` carries the token; `hint` says which token is wanted."""
    if not bearer_matches(given, token):
        raise Unauthorized(f"missing or wrong bearer token{hint}")


def validation_error(exc: RequestValidationError) -> InvalidInput:
    """A request FastAPI refused, as `InvalidInput` listing each problem with its JSON path."""
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
    return InvalidInput(f"{first['path']}: {first['message']}{more}", problems=problems)


def install_error_handlers(
    app: FastAPI, service: str, on_error: Callable[[DWSimError], None] | None = None
) -> None:
    """Answer every error of `app` in the one body; `service` names it in a 500's message
    ("the gateway failed: ..."); `on_error` sees each `DWSimError` before it is answered."""

    def project_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DWSimError)
        if on_error is not None:
            on_error(error)
        return error_response(error)

    def invalid(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return error_response(validation_error(error))

    def http(_: Request, error: Exception) -> JSONResponse:
        # Starlette's own answers (no such route, wrong method) in the project's shape.
        status = getattr(error, "status_code", 500)
        body = {
            "error": _HTTP_CODES.get(status, "http_error"),
            "message": str(getattr(error, "detail", error)),
        }
        return JSONResponse(
            status_code=status, content=body, headers=getattr(error, "headers", None)
        )

    def state_down(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DBAPIError)
        return error_response(state_unavailable(error))

    def state_pool_full(_: Request, error: Exception) -> JSONResponse:
        log.warning("state database pool exhausted: %s", error)
        return error_response(
            Busy("state database", f"every connection of the {service}'s pool is in use")
        )

    def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Last resort: a clear JSON body (never a bare 500 page, never a class name).
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        message = f"the {service} failed: " + error_text(error, "see its log")
        return JSONResponse(
            status_code=500, content={"error": "internal_error", "message": message}
        )

    app.add_exception_handler(DWSimError, project_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(DBAPIError, state_down)  # OperationalError is one
    app.add_exception_handler(PoolTimeout, state_pool_full)
    app.add_exception_handler(Exception, unexpected)
