"""The Snowflake emulator: fakesnow's server, with its statements stoppable and its memory capped.

fakesnow answers an abort request without doing anything and ignores
STATEMENT_TIMEOUT_IN_SECONDS, so a runaway query held the emulator's CPU until it ended. Here:

- a session's STATEMENT_TIMEOUT_IN_SECONDS (sent at login, as Snowflake's clients do) arms a
  timer per statement that interrupts the session's DuckDB connection; the statement then fails
  with Snowflake's own code for it (630), and the connection is free for the next one;
- an abort request (the connector's client-side timeout, or a cancel) interrupts the statement
  it names;
- DuckDB's memory_limit caps the whole engine (DWSIM_EMULATOR_MEMORY_LIMIT, default 2GB);
- a session the client closes is closed here too, after the answer and off the event loop:
  fakesnow only forgets it, so its DuckDB connection lingered until a garbage collection
  closed it on the event loop (with thousands of them, a collection stalled every request for
  seconds, and a client's 5 s close waited it out);
- division by zero fails, as it does in Snowflake (Snowflake's code 100051), where DuckDB
  answers inf (ieee_floating_point_ops) or NULL;
- a statement fakesnow lets fail with an error it does not translate (a DuckDB transaction
  conflict, such as a write into a schema another session dropped, or anything unexpected) is
  answered as a failed statement, never as HTTP 500: the connector retries a 500 for as long as
  its network timeout allows, which by default is forever, so one conflict stalled a worker.

This module imports only fakesnow and its own dependencies, so the emulator's image needs
nothing else from the project: `python emulator_server.py --host 0.0.0.0 -p 64616`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import duckdb
import fakesnow.server as fs_server
import snowflake.connector.errors
import uvicorn
from fakesnow.cursor import FakeSnowflakeCursor
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TIMEOUT_ERRNO = 630
CANCELLED_ERRNO = 604
# Snowflake's "SQL execution internal error": the engine failed the statement.
INTERNAL_ERRNO = 603
DIVISION_BY_ZERO_ERRNO = 100051
CONFLICT_SQLSTATE = "40001"  # serialization failure: the same statement may succeed again
INTERNAL_SQLSTATE = "XX000"
_ENGINE_PREFIX = re.compile(r"^[A-Za-z ]*Error: ")
_running: dict[str, Any] = {}  # request id -> the session running it
_lock = threading.Lock()
_original_execute = FakeSnowflakeCursor.execute


def _session_timeout(body: bytes) -> float | None:
    try:
        parameters = json.loads(body)["data"]["SESSION_PARAMETERS"]
        value = float(parameters.get("STATEMENT_TIMEOUT_IN_SECONDS") or 0)
    except (ValueError, KeyError, TypeError):
        return None
    return value if value > 0 else None


def _execute(self: FakeSnowflakeCursor, command: str, *args: Any, **kwargs: Any) -> Any:
    """fakesnow's execute, interrupted when the session's statement timeout passes."""
    conn = self._conn
    timeout = getattr(conn, "dwsim_statement_timeout", None)
    duck = self._duck_conn
    fired = threading.Event()
    setattr(conn, "dwsim_cancelled", False)  # noqa: B010 (not an attribute fakesnow declares)

    def interrupt() -> None:
        fired.set()
        duck.interrupt()

    timer = threading.Timer(timeout, interrupt) if timeout else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        return _original_execute(self, command, *args, **kwargs)
    except Exception as error:
        if fired.is_set():
            raise snowflake.connector.errors.ProgrammingError(
                msg=f"Statement reached its statement or warehouse timeout of {timeout:g} "
                "second(s) and was canceled.",
                errno=TIMEOUT_ERRNO, sqlstate="57014",
            ) from None  # fmt: skip
        if getattr(conn, "dwsim_cancelled", False):
            raise snowflake.connector.errors.ProgrammingError(
                msg="SQL execution canceled", errno=CANCELLED_ERRNO, sqlstate="57014"
            ) from None
        raise _as_statement_error(error) from error
    finally:
        if timer is not None:
            timer.cancel()


def _as_statement_error(error: Exception) -> Exception:
    """The error as fakesnow's server answers a failed statement (not with HTTP 500)."""
    answered = (
        snowflake.connector.errors.ProgrammingError,
        snowflake.connector.errors.OperationalError,
    )
    if isinstance(error, answered):
        return error
    text = (str(error).strip() or "the statement failed").splitlines()[0]
    if isinstance(error, duckdb.InvalidInputException) and "Division by zero" in text:
        return snowflake.connector.errors.ProgrammingError(
            msg="Division by zero", errno=DIVISION_BY_ZERO_ERRNO, sqlstate="22012"
        )
    text = _ENGINE_PREFIX.sub("", text)  # DuckDB's "TransactionContext Error: " and the like
    conflict = isinstance(error, duckdb.TransactionException)
    return snowflake.connector.errors.ProgrammingError(
        msg=f"SQL execution internal error: {text}",
        errno=INTERNAL_ERRNO,
        sqlstate=CONFLICT_SQLSTATE if conflict else INTERNAL_SQLSTATE,
    )


async def _body(request: Request) -> bytes:
    body = await request.body()
    return gzip.decompress(body) if request.headers.get("Content-Encoding") == "gzip" else body


async def login_request(request: Request) -> Response:
    timeout = _session_timeout(await _body(request))
    response = await fs_server.login_request(request)
    if timeout is not None and response.status_code == 200:
        token = json.loads(bytes(response.body))["data"]["token"]
        setattr(fs_server.sessions[token], "dwsim_statement_timeout", timeout)  # noqa: B010
    return response


async def query_request(request: Request) -> Response:
    request_id = request.query_params.get("requestId")
    token = (request.headers.get("Authorization") or "")[17:-1]
    conn = fs_server.sessions.get(token)
    if request_id and conn is not None:
        with _lock:
            _running[request_id] = conn
    try:
        return await fs_server.query_request(request)
    finally:
        if request_id:
            with _lock:
                _running.pop(request_id, None)


async def session_request(request: Request) -> Response:
    """fakesnow's session endpoint; a deleted session's DuckDB connection is closed after the
    answer is sent, in a worker thread."""
    token = (request.headers.get("Authorization") or "")[17:-1]
    conn = fs_server.sessions.get(token)
    response = await fs_server.session(request)
    if conn is not None and request.query_params.get("delete") and token not in fs_server.sessions:
        response.background = BackgroundTask(_close_quietly, conn)
    return response


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # a connection that will not close is left to the garbage collector
        return


async def abort_request(request: Request) -> Response:
    try:
        request_id = json.loads(await _body(request) or b"{}").get("requestId")
    except ValueError:
        request_id = None
    with _lock:
        conn = _running.get(request_id) if request_id else None
    if conn is not None:
        conn.dwsim_cancelled = True
        conn._duck_conn.interrupt()
    return JSONResponse({"success": True})


def make_app(memory_limit: str | None = None) -> Starlette:
    FakeSnowflakeCursor.execute = _execute  # type: ignore[method-assign]
    duck = fs_server.shared_fs.duck_conn
    if memory_limit:
        duck.execute(f"SET memory_limit = '{memory_limit}'")
    # Snowflake fails `x / 0` for every numeric type; DuckDB's IEEE semantics answer inf.
    duck.execute("SET GLOBAL ieee_floating_point_ops = false")
    duck.execute("SET GLOBAL error_on_division_by_zero = true")
    ours: dict[str, Callable[[Request], Awaitable[Response]]] = {
        "/session/v1/login-request": login_request,
        "/queries/v1/query-request": query_request,
        "/queries/v1/abort-request": abort_request,
        "/session": session_request,
    }
    routes = [
        Route(r.path, ours[r.path], methods=["POST"]) if r.path in ours else r
        for r in fs_server.routes
    ]
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=64616)
    parser.add_argument(
        "--memory-limit", default=os.environ.get("DWSIM_EMULATOR_MEMORY_LIMIT", "2GB")
    )
    args = parser.parse_args()
    uvicorn.run(make_app(args.memory_limit), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
