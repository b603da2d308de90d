"""The Snowflake emulator: fakesnow's server, with its statements stoppable and its memory capped.

fakesnow answers an abort request without doing anything and ignores
STATEMENT_TIMEOUT_IN_SECONDS, so a runaway query held the emulator's CPU until it ended. Here:

- a session's STATEMENT_TIMEOUT_IN_SECONDS (sent at login, as Snowflake's clients do) arms a
  timer per statement that interrupts the session's DuckDB connection; the statement then fails
  with Snowflake's own code for it (630), and the connection is free for the next one;
- an abort request (the connector's client-side timeout, or a cancel) interrupts the statement
  it names;
- DuckDB's memory_limit caps the whole engine (DWSIM_EMULATOR_MEMORY_LIMIT, default 1GB);
- a session the client closes is closed here too, after the answer and off the event loop:
  fakesnow only forgets it, so its DuckDB connection lingered until a garbage collection
  closed it on the event loop (with thousands of them, a collection stalled every request for
  seconds, and a client's 5 s close waited it out);
- division by zero fails, as it does in Snowflake (Snowflake's code 100051), where DuckDB
  answers inf (ieee_floating_point_ops) or NULL;
- a statement fakesnow lets fail with an error it does not translate (a DuckDB transaction
  conflict, such as a write into a schema another session dropped, or anything unexpected) is
  answered as a failed statement, never as HTTP 500: the connector retries a 500 for as long as
  its network timeout allows, which by default is forever, so one conflict stalled a worker;
- it is a guarded service: only the project's credentials (DWSIM_SNOWFLAKE_USER and
  DWSIM_SNOWFLAKE_PASSWORD) and readers of one experiment's schema (emulator_guard) log in,
  anything else gets Snowflake's login error (390100); a reader's every statement must be one
  read of its own schema; a workspace writer (the Snowflake endpoint's sessions) reads its
  experiment's schema and its workspace and writes only the workspace; DuckDB's file and network access is off for every session except
  for the stage files the server itself received (the loader's PUT + COPY INTO);
- a result larger than DWSIM_EMULATOR_RESULT_MAX_BYTES (or the smaller DWSIM_RESULT_MAX_BYTES
  a session asks for at login) fails its statement, naming the limit, instead of being encoded
  three times over into one JSON answer;
- the process's resident size is watched (DWSIM_EMULATOR_MEMORY_CEILING_MB): past it, running
  statements are interrupted and fail with an error naming the limit, and the server goes on;
- a statement whose client goes away (closed connection, killed service) is interrupted;
- `POST /dwsim/engine-read` runs one read (a SELECT, as DuckDB's parser reads it) written in
  DuckDB's own SQL, for the project's own credentials only (HTTP Basic; readers and workspace
  writers are refused), on a DuckDB cursor of its own: no login, no session, no fakesnow
  translation nor DESCRIBE of the statement (most of a small statement's cost). It answers
  its rows as an Arrow IPC stream: the validation report's queries, which the project builds
  itself (`engine_read`). Its timeout, the memory ceiling and the answer limit apply as to any
  statement;
- `--db-path DIR` (DWSIM_EMULATOR_DB_PATH) keeps every database in a DuckDB file under DIR
  (fakesnow's own layout, `DIR/<DATABASE>.db`, and its catalog of comments and column lengths
  in `DIR/_fs_global.db`), so a restart finds the loaded experiments again (see `persist`).

This module imports only fakesnow, its own dependencies, `emulator_guard` (stdlib and
sqlglot) and `emulator_transforms` (fakesnow), so the emulator's image needs nothing else
from the project: `python emulator_server.py --host 0.0.0.0 -p 64616`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import ctypes.util
import gzip
import hmac
import json
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import fakesnow.server as fs_server
import pyarrow
import pyarrow.ipc
import snowflake.connector.errors
import sqlglot.errors
import uvicorn
from fakesnow import info_schema, macros
from fakesnow.cursor import FakeSnowflakeCursor
from fakesnow.expr import normalise_ident
from fakesnow.instance import GLOBAL_DATABASE_NAME, FakeSnow
from fakesnow.transforms import show, stage
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

try:  # the project's package, or the emulator image where the guard sits beside this file
    from dwsim_shared.emulator_guard import (
        confinement_error,
        reader_schema,
        writer_error,
        writer_schemas,
    )
except ImportError:  # pragma: no cover (the image)
    from emulator_guard import (  # type: ignore[no-redef]
        confinement_error,
        reader_schema,
        writer_error,
        writer_schemas,
    )
try:
    from dwsim_shared import emulator_transforms
except ImportError:  # pragma: no cover (the image)
    import emulator_transforms  # type: ignore[no-redef]

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
# Snowflake's "Incorrect username or password was specified." and "Insufficient privileges".
LOGIN_ERRNO = "390100"
PRIVILEGE_ERRNO = 3001
RESULT_TOO_LARGE_ERRNO = 100078  # a result or value too large to return
LEDGER_TABLE = "_dwsim_loads"
DISCONNECT_POLL_S = 0.25


class Guard:
    """The credentials the server accepts and the result size it answers (set by make_app)."""

    user: str = ""
    password: str = ""
    result_max_bytes: int = 256 * 1024 * 1024
    memory_ceiling_mb: int = 0


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def watch_memory(ceiling_mb: int, period_s: float = 0.02) -> threading.Thread:
    """Interrupt every running statement while the process is larger than `ceiling_mb`:
    DuckDB's memory_limit bounds its buffer pool, not the values a vector holds nor their Arrow
    copies, and one SELECT of large strings took the emulator to 3.8 GB. DuckDB sees the
    interrupt between vectors, so one vector of huge values is still built before it stops."""
    Guard.memory_ceiling_mb = ceiling_mb
    ceiling = ceiling_mb * 1024 * 1024

    def watch() -> None:
        while True:
            time.sleep(period_s)
            size = _resident_bytes()
            if size is None:
                return
            if size <= ceiling:
                continue
            with _lock:
                running = list(_running.values())
            for conn in running:
                setattr(conn, "dwsim_memory_stopped", True)  # noqa: B010
                conn._duck_conn.interrupt()

    thread = threading.Thread(target=watch, name="dwsim-memory-watch", daemon=True)
    thread.start()
    return thread


def _release_memory() -> None:
    """Give freed heap back to the system (glibc keeps it otherwise, and the emulator stayed
    at 1.5 GB after one large result)."""
    with contextlib.suppress(Exception):  # Arrow's own pool (mimalloc or jemalloc)
        pyarrow.default_memory_pool().release_unused()
    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).malloc_trim(0)


def _session_number(body: bytes, name: str) -> float | None:
    """A positive number among the session parameters sent at login."""
    try:
        parameters = json.loads(body)["data"]["SESSION_PARAMETERS"]
        value = float(parameters.get(name) or 0)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return value if value > 0 else None


class _WithoutEmptyComments:
    """A session's DuckDB connection, less fakesnow's record of an absent table comment, and
    with the result's columns kept as DuckDB described them when fakesnow took the result.

    fakesnow records `'None'` as the comment of every table it creates, in its own catalog
    database: inside a transaction that already wrote the session's database, DuckDB refuses
    that second database, so `BEGIN; MERGE ...` (whose rewrite creates a temporary table) and
    `BEGIN; CREATE TEMPORARY TABLE ...` failed. A comment that was never given is not
    recorded; every other statement passes as it is."""

    def __init__(self, duck: Any) -> None:
        self._duck = duck
        self.described: list[tuple[Any, ...]] | None = None

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(sql, str) and _EMPTY_COMMENT.match(sql):
            return self._duck
        return self._duck.execute(sql, *args, **kwargs)

    def to_arrow_table(self) -> Any:
        # fakesnow takes a statement's result here, right after running it: DuckDB's
        # description of that result is what `DESCRIBE <the statement>` would answer.
        self.described = self._duck.description
        return self._duck.to_arrow_table()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._duck, name)


_EMPTY_COMMENT = re.compile(
    r"\s*INSERT INTO _fs_global\._fs_information_schema\._fs_tables_ext\s+values\s*"
    r"\('(?:[^']|'')*', '(?:[^']|'')*', '(?:[^']|'')*', 'None'\)",
    re.I,
)


def _execute(self: FakeSnowflakeCursor, command: str, *args: Any, **kwargs: Any) -> Any:
    """fakesnow's execute, interrupted when the session's statement timeout passes."""
    conn = self._conn
    timeout = getattr(conn, "dwsim_statement_timeout", None)
    duck = self._duck_conn
    if isinstance(duck, _WithoutEmptyComments):
        duck = duck._duck
    wrapper = _WithoutEmptyComments(duck)
    self._duck_conn = wrapper  # type: ignore[assignment]
    fired = threading.Event()
    setattr(conn, "dwsim_cancelled", False)  # noqa: B010 (not an attribute fakesnow declares)
    setattr(conn, "dwsim_memory_stopped", False)  # noqa: B010

    def interrupt() -> None:
        fired.set()
        duck.interrupt()

    timer = threading.Timer(timeout, interrupt) if timeout else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    self._dwsim_described = None  # type: ignore[attr-defined]
    try:
        result = _original_execute(self, command, *args, **kwargs)
        if wrapper.described is not None and self._arrow_table is not None:
            # (name, type, null, key, default, extra), as DESCRIBE answers for a query
            columns = [(d[0], str(d[1]), "YES", None, None, None) for d in wrapper.described]
            self._dwsim_described = (self._arrow_table, columns)
    except Exception as error:
        if fired.is_set():
            raise snowflake.connector.errors.ProgrammingError(
                msg=f"Statement reached its statement or warehouse timeout of {timeout:g} "
                "second(s) and was canceled.",
                errno=TIMEOUT_ERRNO, sqlstate="57014",
            ) from None  # fmt: skip
        if getattr(conn, "dwsim_memory_stopped", False):
            _release_memory()
            raise _as_statement_error(MemoryError()) from None
        if getattr(conn, "dwsim_cancelled", False):
            raise snowflake.connector.errors.ProgrammingError(
                msg="SQL execution canceled", errno=CANCELLED_ERRNO, sqlstate="57014"
            ) from None
        raise _as_statement_error(error) from error
    finally:
        self._duck_conn = duck
        if timer is not None:
            timer.cancel()
    table = self._arrow_table
    limit, named = _answer_limit(conn)
    if table is not None and table.nbytes > limit:
        size = table.nbytes
        self._arrow_table = None
        del table
        _release_memory()
        raise snowflake.connector.errors.ProgrammingError(
            msg=f"the result ({size:,} bytes) is larger than the limit of {limit:,} bytes per "
            f"answer ({named})",
            errno=RESULT_TOO_LARGE_ERRNO, sqlstate="54000",
        )  # fmt: skip
    return result


_original_describe_last_sql = FakeSnowflakeCursor._describe_last_sql


def _describe_last_sql(self: FakeSnowflakeCursor) -> list[Any]:
    """The last result's columns: as DuckDB described them when the statement ran, instead of
    parsing, transforming and planning the statement again as `DESCRIBE` (that second pass
    cost more than half of the emulator's time on short queries). A result restored from the
    results cache, or one taken any other way, is described as fakesnow does."""
    kept = getattr(self, "_dwsim_described", None)
    if kept is not None and kept[0] is self._arrow_table:
        return list(kept[1])
    return _original_describe_last_sql(self)


def _answer_limit(conn: Any) -> tuple[int, str]:
    """The answer limit of a session: the server's, or the smaller one its client asked for
    (the query service asks for twice its own answer limit)."""
    asked = getattr(conn, "dwsim_result_max_bytes", None)
    if asked is not None and asked < Guard.result_max_bytes:
        return asked, "twice the query service's DWSIM_QUERY_BYTE_CAP"
    return Guard.result_max_bytes, "DWSIM_EMULATOR_RESULT_MAX_BYTES"


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
    if isinstance(error, duckdb.OutOfMemoryException | MemoryError):
        _release_memory()
        return snowflake.connector.errors.ProgrammingError(
            msg="the statement needs more memory than the emulator's limit of "
            f"{Guard.memory_ceiling_mb or '?'} MB (DWSIM_EMULATOR_MEMORY_CEILING_MB; DuckDB's "
            "own is DWSIM_EMULATOR_MEMORY_LIMIT)",
            errno=RESULT_TOO_LARGE_ERRNO, sqlstate="53200",
        )  # fmt: skip
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


def _snowflake_error(code: str, message: str, sqlstate: str | None = None) -> JSONResponse:
    """An error as Snowflake answers it (HTTP 200, success false): the connector raises it."""
    data = {"errorCode": code, "sqlState": sqlstate} if sqlstate else None
    return JSONResponse({"data": data, "code": code, "message": message, "success": False})


def _credentials(body: bytes) -> tuple[str, str, dict[str, Any]]:
    try:
        data = json.loads(body)["data"]
        return str(data.get("LOGIN_NAME") or ""), str(data.get("PASSWORD") or ""), data
    except (ValueError, KeyError, TypeError, AttributeError):
        return "", "", {}


async def login_request(request: Request) -> Response:
    body = await _body(request)
    login, password, data = _credentials(body)
    project = _is_project(login, password)
    schema = None if project else reader_schema(login, password, Guard.password)
    writer = None if project or schema else writer_schemas(login, password, Guard.password)
    parameters = data.get("SESSION_PARAMETERS") or {}
    # FAKESNOW_DB_PATH opens a DuckDB of its own, outside every setting made here.
    if (not project and schema is None and writer is None) or "FAKESNOW_DB_PATH" in parameters:
        return _snowflake_error(LOGIN_ERRNO, "Incorrect username or password was specified.")
    # A reader of `live/workspace` reads its experiment's workspace too (the query API).
    schema, _, also = (schema or "").partition("/")
    asked = request.query_params.get("schemaName")
    # fakesnow creates the schema a login names: a writer names its workspace (made so).
    own = (schema or None) if writer is None else writer[1]
    if own is not None and asked and asked.strip('"').lower() != own.lower():
        # fakesnow creates the schema a login names: a reader may name only its own.
        return _snowflake_error(
            f"{PRIVILEGE_ERRNO:06d}",
            f"SQL access control error: Insufficient privileges on {asked}",
        )
    timeout = _session_number(body, "STATEMENT_TIMEOUT_IN_SECONDS")
    answer_max = _session_number(body, "DWSIM_RESULT_MAX_BYTES")
    try:
        response = await fs_server.login_request(request)
    except duckdb.Error:  # a new database while persistent: refused, not an HTTP 500 retried
        database = request.query_params.get("databaseName") or ""
        return _snowflake_error(
            "390201",
            f"Database '{database}' does not exist or not authorized (the emulator creates "
            "its databases at start: --database / DWSIM_SNOWFLAKE_DATABASE).",
        )
    if response.status_code == 200:
        token = json.loads(bytes(response.body))["data"]["token"]
        conn = fs_server.sessions[token]
        if timeout is not None:
            setattr(conn, "dwsim_statement_timeout", timeout)  # noqa: B010
        if answer_max is not None:
            setattr(conn, "dwsim_result_max_bytes", int(answer_max))  # noqa: B010
        setattr(conn, "dwsim_reader_schema", schema or None)  # noqa: B010
        setattr(conn, "dwsim_reader_also", also or None)  # noqa: B010
        setattr(conn, "dwsim_writer", writer)  # noqa: B010
    return response


def _is_project(login: str, password: str) -> bool:
    # Snowflake's login names are case-insensitive; passwords are not.
    same_user = hmac.compare_digest(login.upper().encode(), Guard.user.upper().encode())
    same_password = hmac.compare_digest(password.encode(), Guard.password.encode())
    return bool(Guard.user) and same_user and same_password


def _confinement(conn: Any, body: bytes) -> Response | None:
    """Snowflake's privilege error unless a reader's statement is one read of its schema."""
    schema = getattr(conn, "dwsim_reader_schema", None)
    writer = getattr(conn, "dwsim_writer", None)
    if schema is None and writer is None:
        return None
    try:
        sql = str(json.loads(body)["sqlText"])
    except (ValueError, KeyError, TypeError):
        sql = ""
    hidden = frozenset({LEDGER_TABLE})
    try:  # one parse for the check and fakesnow's two (emulator_transforms.parse_one)
        statements: list[Any] | None = emulator_transforms.parse_statements(sql)
    except sqlglot.errors.ParseError:
        statements = None  # the check says why
    if schema is not None:
        also = getattr(conn, "dwsim_reader_also", None)
        why = confinement_error(sql, schema, hidden, conn.database, also, statements)
    else:
        assert writer is not None
        live, workspace = writer
        why = writer_error(sql, live, workspace, hidden, conn.database, statements)
    if why is None:
        return None
    return _snowflake_error(
        f"{PRIVILEGE_ERRNO:06d}",
        f"SQL access control error: Insufficient privileges: {why}",
        "42501",
    )


async def query_request(request: Request) -> Response:
    request_id = request.query_params.get("requestId")
    token = (request.headers.get("Authorization") or "")[17:-1]
    conn = fs_server.sessions.get(token)
    if conn is not None and (refused := _confinement(conn, await _body(request))) is not None:
        return refused
    if request_id and conn is not None:
        with _lock:
            _running[request_id] = conn
    try:
        answer = asyncio.ensure_future(fs_server.query_request(request))
        # A client that goes away (a closed socket, a killed query service) leaves no one to
        # send an abort: its statement is interrupted here, as PostgreSQL cancels a backend's.
        # Interrupted again at every poll until the answer ends: DuckDB forgets an interrupt
        # that comes before the statement runs (while it waits for a thread or is rewritten).
        gone = False
        while not (await asyncio.wait({answer}, timeout=DISCONNECT_POLL_S))[0]:
            if conn is not None and (gone or await request.is_disconnected()):
                gone = True
                setattr(conn, "dwsim_cancelled", True)  # noqa: B010
                conn._duck_conn.interrupt()
        return await answer
    except MemoryError:  # encoding the answer passed the ceiling: a failed statement, not a 500
        _release_memory()
        failed = _as_statement_error(MemoryError())
        assert isinstance(failed, snowflake.connector.errors.ProgrammingError)
        return _snowflake_error(f"{failed.errno:06d}", failed.msg or "", failed.sqlstate)
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


ENGINE_READ_PATH = "/dwsim/engine-read"
ARROW_STREAM = "application/vnd.apache.arrow.stream"


def _one_read(duck: Any, sql: str) -> str | None:
    """Why `sql` is not exactly one SELECT, as DuckDB's own parser reads it (None: it is)."""
    try:
        statements = duck.extract_statements(sql)
    except duckdb.Error as error:
        return _ENGINE_PREFIX.sub("", str(error).strip().splitlines()[0])
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        return "only one SELECT statement is allowed here"
    return None


def _engine_error(status: int, message: str, errno: int, sqlstate: str) -> JSONResponse:
    return JSONResponse(
        {"message": message, "errno": errno, "sqlstate": sqlstate}, status_code=status
    )


class _Refused(Exception):
    """An engine read that is not one SELECT."""


class _EngineRead:
    """A running engine read, as the memory watch and `health` see the running statements."""

    def __init__(self, duck: Any) -> None:
        self._duck_conn = duck


def _run_read(database: str, sql: str, timeout: float) -> pyarrow.Table:
    """`sql` on a cursor of its own of the server's DuckDB, in `database`, stopped at `timeout`
    seconds (and by the memory watch, which finds it among the running statements)."""
    duck = fs_server.shared_fs.duck_conn.cursor()
    running = _EngineRead(duck)
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        duck.interrupt()

    timer = threading.Timer(timeout, interrupt)
    timer.daemon = True
    key = f"engine-read-{uuid.uuid4().hex}"
    try:
        duck.execute(f"USE {_quoted_name(normalise_ident(database))}")
        if (why := _one_read(duck, sql)) is not None:
            raise _Refused(why)
        with _lock:
            _running[key] = running
        timer.start()
        return duck.execute(sql).to_arrow_table()
    except _Refused:
        raise
    except Exception as error:
        if fired.is_set():
            raise TimeoutError(timeout) from None
        if getattr(running, "dwsim_memory_stopped", False):
            raise _as_statement_error(MemoryError()) from None
        raise _as_statement_error(error) from None
    finally:
        timer.cancel()
        with _lock:
            _running.pop(key, None)
        with contextlib.suppress(duckdb.Error):
            duck.close()


def _quoted_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def engine_read(request: Request) -> Response:
    """One read in DuckDB's own SQL with the project's own credentials (HTTP Basic; see the
    module's docstring), on a DuckDB cursor of its own: no session, no login.
    `{"sql", "database", "timeout_s"}` in, an Arrow IPC stream of its rows out; a refusal or a
    failed statement is a JSON `{"message", "errno", "sqlstate"}` with a 4xx."""
    auth = request.headers.get("Authorization") or ""
    try:
        login, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        login = password = ""
    if not auth.startswith("Basic ") or not _is_project(login, password):
        return _engine_error(
            401, "Incorrect username or password was specified (engine reads are for the "
            "project's own login).", int(LOGIN_ERRNO), "28000",
        )  # fmt: skip
    try:
        body = json.loads(await _body(request))
        sql, database = str(body["sql"]), str(body["database"])
        timeout = float(body["timeout_s"])
    except (ValueError, KeyError, TypeError):
        return _engine_error(
            400, 'the body must be JSON with "sql", "database" and "timeout_s"', 1003, "42000"
        )
    if not 0 < timeout <= 86_400:  # NaN and infinity too (a timer cannot wait them)
        return _engine_error(400, '"timeout_s" must be a positive number of seconds up to a day',
                             1003, "42000")  # fmt: skip
    try:
        table = await run_in_threadpool(_run_read, database, sql, timeout)
    except _Refused as refused:
        return _engine_error(400, str(refused), PRIVILEGE_ERRNO, "42501")
    except TimeoutError:
        return _engine_error(
            408, f"Statement reached its statement or warehouse timeout of {timeout:g} "
            "second(s) and was canceled.", TIMEOUT_ERRNO, "57014",
        )  # fmt: skip
    except snowflake.connector.errors.Error as error:
        return _engine_error(400, error.msg or str(error), error.errno or INTERNAL_ERRNO,
                             error.sqlstate or INTERNAL_SQLSTATE)  # fmt: skip
    limit = Guard.result_max_bytes
    if table.nbytes > limit:
        return _engine_error(
            400, f"the result ({table.nbytes:,} bytes) is larger than the limit of {limit:,} "
            "bytes per answer (DWSIM_EMULATOR_RESULT_MAX_BYTES)", RESULT_TOO_LARGE_ERRNO, "54000",
        )  # fmt: skip
    sink = pyarrow.BufferOutputStream()
    with pyarrow.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return Response(sink.getvalue().to_pybytes(), media_type=ARROW_STREAM)


async def health(_: Request) -> Response:
    """Liveness, and how many statements run now (no session needed; nothing else is told)."""
    with _lock:
        running = len(_running)
    return JSONResponse({"status": "ok", "running_statements": running})


_http_stage_info = fs_server.gcs_stage_info


def _local_stage_info(
    request: Request, expr: Any, put_stage_data: stage.UploadCommandDict
) -> dict[str, Any]:
    """`--local-stage` (DWSIM_EMULATOR_LOCAL_STAGE=1), for an emulator whose clients all run on
    its own host: a PUT is answered with the stage's own folder (LOCAL_FS), so the connector
    copies the file there itself instead of uploading its bytes over HTTP (the PUT was half of
    a shard's load). The folder is the same one, under the same realpath check, and sessions
    still read only inside it. A client on another host would write into a folder of its own
    host: its COPY INTO then finds no file and the load fails naming the count, so this is off
    by default (fakesnow's HTTP upload)."""
    stage_info: dict[str, Any] = dict(put_stage_data["stageInfo"])
    return stage_info


GLOBAL_FILE = f"{GLOBAL_DATABASE_NAME}.db"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def persist(db_path: str | os.PathLike[str], databases: Sequence[str] = ()) -> list[str]:
    """Serve the databases from DuckDB files under `db_path` (made if missing, 0700): every
    `<NAME>.db` already there is attached again, with fakesnow's catalog (`_fs_global.db`), and
    each of `databases` is created now when missing. Answers the attached names.

    It runs before make_app turns DuckDB's file access off: from then on DuckDB refuses every
    ATTACH (allowed_directories does not let one through), so no session can attach or read a
    file, and a database that is not attached by then cannot be created (CREATE DATABASE fails
    naming the engine's refusal; a login naming it is refused as Snowflake refuses an unknown
    database). Nothing is ever put in memory instead: that would lose the data at the next
    stop. A DROP DATABASE only detaches (fakesnow's own behaviour), so the file comes back at
    the next start; the project keeps one database and drops schemas."""
    folder = Path(db_path).resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fs = FakeSnow(db_path=folder)
    duck = fs.duck_conn
    duck.execute(f"DETACH {GLOBAL_DATABASE_NAME}")
    duck.execute(f"ATTACH '{_quoted(folder / GLOBAL_FILE)}' AS {GLOBAL_DATABASE_NAME}")
    duck.execute(info_schema.fs_global_creation_sql())
    duck.execute(show.fs_global_creation_sql())
    names = []
    for path in sorted(folder.glob("*.db")):
        if path.name == GLOBAL_FILE:
            continue
        if _NAME.match(path.stem):
            names.append(path.stem)
        else:  # not a file this server writes (its names are Snowflake identifiers)
            print(f"emulator: {path} is not served (not a database name)", file=sys.stderr)
    names += [d.upper() for d in databases if d.upper() not in {n.upper() for n in names}]
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"not a database name the emulator can keep in a file: {name!r}")
        duck.execute(f"ATTACH IF NOT EXISTS '{_quoted(folder / name)}.db' AS {name}")
        duck.execute(info_schema.per_db_creation_sql(name))
        duck.execute(macros.creation_sql(name))
    duck.execute("CHECKPOINT")
    fs_server.shared_fs = fs  # the server's functions look the module's name up at each login
    return names


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def make_app(
    memory_limit: str | None = None,
    *,
    user: str,
    password: str,
    result_max_bytes: int = Guard.result_max_bytes,
    local_stage: bool = False,
    db_path: str | os.PathLike[str] | None = None,
    databases: Sequence[str] = (),
) -> Starlette:
    """The emulator's app. Only `user`/`password` (and readers derived from `password`) log in.
    `local_stage`: see `_local_stage_info`; `db_path` and `databases`: see `persist`."""
    if not user or not password:
        raise ValueError("the emulator needs DWSIM_SNOWFLAKE_USER and DWSIM_SNOWFLAKE_PASSWORD")
    if db_path:
        persist(db_path, databases)
    fs_server.gcs_stage_info = _local_stage_info if local_stage else _http_stage_info
    Guard.user, Guard.password, Guard.result_max_bytes = user, password, result_max_bytes
    FakeSnowflakeCursor.execute = _execute  # type: ignore[method-assign]
    FakeSnowflakeCursor._describe_last_sql = _describe_last_sql  # type: ignore[method-assign]
    emulator_transforms.install()  # fakesnow's rewrite without the walks a query skips
    duck = fs_server.shared_fs.duck_conn
    if memory_limit:
        duck.execute(f"SET memory_limit = '{memory_limit}'")
    # DuckDB's allocator keeps freed memory for reuse unless its background threads purge it:
    # the emulator stayed at 1.5 GB after one large result.
    duck.execute("SET allocator_background_threads = true")
    # No file or network access for any session, except the stage files this server received
    # (PUT uploads them over HTTP into stage.LOCAL_BUCKET_PATH; COPY INTO reads them there).
    # Once off, DuckDB refuses to turn it back on or widen the allowed directories.
    duck.execute("SET autoinstall_known_extensions = false")
    duck.execute("SET autoload_known_extensions = false")
    duck.execute("SET allowed_directories = $dirs", {"dirs": [stage.LOCAL_BUCKET_PATH + os.sep]})
    duck.execute("SET enable_external_access = false")
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
    routes.append(Route("/dwsim/health", health, methods=["GET"]))
    routes.append(Route(ENGINE_READ_PATH, engine_read, methods=["POST"]))
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=64616)
    parser.add_argument(
        "--memory-limit", default=os.environ.get("DWSIM_EMULATOR_MEMORY_LIMIT", "1GB")
    )
    parser.add_argument(
        "--result-max-bytes",
        type=int,
        default=int(os.environ.get("DWSIM_EMULATOR_RESULT_MAX_BYTES", Guard.result_max_bytes)),
    )
    parser.add_argument(
        "--memory-ceiling-mb",
        type=int,
        default=int(os.environ.get("DWSIM_EMULATOR_MEMORY_CEILING_MB", "2048")),
        help="resident size past which running statements are interrupted (0: not watched)",
    )
    parser.add_argument(
        "--local-stage",
        action="store_true",
        default=os.environ.get("DWSIM_EMULATOR_LOCAL_STAGE", "") in ("1", "true"),
        help="PUT writes into the stage folder directly (every client runs on this host)",
    )
    parser.add_argument(
        "--db-path",
        default=os.environ.get("DWSIM_EMULATOR_DB_PATH") or None,
        help="keep every database in a DuckDB file under this folder (default: in memory)",
    )
    parser.add_argument(
        "--database",
        action="append",
        help="with --db-path: a database to create at start when missing (repeatable; "
        "default: DWSIM_SNOWFLAKE_DATABASE or DWSIM)",
    )
    args = parser.parse_args()
    if args.memory_ceiling_mb > 0:
        watch_memory(args.memory_ceiling_mb)
    user = os.environ.get("DWSIM_SNOWFLAKE_USER", "")
    password = os.environ.get("DWSIM_SNOWFLAKE_PASSWORD", "")
    if not user or not password:
        parser.error(
            "set DWSIM_SNOWFLAKE_USER and DWSIM_SNOWFLAKE_PASSWORD: the only login it accepts"
        )
    app = make_app(
        args.memory_limit,
        user=user,
        password=password,
        result_max_bytes=args.result_max_bytes,
        local_stage=args.local_stage,
        db_path=args.db_path,
        databases=args.database or [os.environ.get("DWSIM_SNOWFLAKE_DATABASE") or "DWSIM"],
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
