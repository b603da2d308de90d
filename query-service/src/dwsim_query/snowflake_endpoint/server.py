"""The Snowflake endpoint: Snowflake's REST protocol, as its drivers speak it, in front of the
project's emulator, serving each experiment as a database of its own.

A front door: it logs the client in (the experiment's name as user and database, the
experiment's endpoint password, the same one the Redshift endpoint takes), logs in upstream as
the experiment's workspace writer (emulator_guard), and for each query request rewrites
`sqlText` through the query service layer (`statements.Translator`) before forwarding the
request. The emulator's answer (rows, types, errors) passes through, with the session's
database and schema named as the client names them. Tokens are the endpoint's own: an upstream
session is reachable only through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hmac
import json
import logging
import math
import secrets
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dwsim_query.service import ExperimentContext, experiment_context
from dwsim_query.session_functions import ROLE, WAREHOUSE
from dwsim_query.snowflake_endpoint.statements import (
    PUBLIC,
    WORKSPACE,
    Answer,
    Refused,
    Translator,
    answer_json,
)
from dwsim_shared.endpoint_credentials import endpoint_password
from dwsim_shared.errors import DWSimError, NotFound
from dwsim_shared.runtime import Runtime
from dwsim_shared.warehouses.snowflake import SnowflakeWarehouse

log = logging.getLogger(__name__)
LOGIN_ERRNO = "390100"  # Incorrect username or password was specified.
SESSION_GONE = "390104"  # User must login again to access the service.
ANSWER_FACTOR = 2  # as the REST path asks the emulator (dwsim_shared.warehouses.snowflake)
DISCONNECT_POLL_S = 0.25
MAX_SESSIONS = 1000
# A session no request used for this long is closed (Snowflake's session token lasts 4 hours;
# a client that vanished without closing its session leaves no one else to close it).
SESSION_IDLE_S = 4 * 3600


def _error(code: str, message: str, sqlstate: str | None = None, status: int = 200) -> Response:
    data = {"errorCode": code, "sqlState": sqlstate} if sqlstate else None
    return JSONResponse(
        {"data": data, "code": code, "message": message, "success": False}, status_code=status
    )


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    try:
        found = json.loads(body or b"{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _token(request: Request) -> str:
    return (request.headers.get("Authorization") or "")[17:-1]


class _Server(uvicorn.Server):
    """uvicorn's server, leaving the process's signals to the process that runs it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Session:
    upstream_token: str
    translator: Translator
    last_used: float = field(default_factory=time.monotonic)


class SnowflakeEndpoint:
    """The HTTP server and its sessions (one per logged-in client)."""

    def __init__(self, rt: Runtime, host: str, port: int) -> None:
        self.rt = rt
        self.host, self.port = host, port
        self.sessions: dict[str, Session] = {}
        self.readied: set[str] = set()  # experiments whose workspace schema exists
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None
        self.client: httpx.AsyncClient | None = None
        settings = rt.settings
        timeout = settings.query_timeout_s + max(10.0, settings.dependency_timeout_s)
        self.timeout = httpx.Timeout(timeout, connect=settings.dependency_timeout_s)

    # -- lifecycle ---------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/session/v1/login-request", self.login, methods=["POST"]),
                Route("/session/token-request", self.token_request, methods=["POST"]),
                Route("/session", self.session, methods=["POST"]),
                Route("/session/heartbeat", self.forward_session, methods=["POST"]),
                Route("/queries/v1/query-request", self.query, methods=["POST"]),
                Route("/queries/v1/abort-request", self.abort, methods=["POST"]),
                Route("/monitoring/queries/{sfqid}", self.monitoring, methods=["GET"]),
                Route("/telemetry/send", self.telemetry, methods=["POST"]),
            ]
        )

    async def start(self) -> None:
        """Listen (an address in use is an OSError here, never uvicorn's exit)."""
        sock = socket.create_server((self.host, self.port), reuse_port=False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        # TCP_NODELAY: a request's headers and body leave in two writes, and without it the
        # body waited for the emulator's delayed ACK (about 40 ms per statement).
        transport = httpx.AsyncHTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        self.client = httpx.AsyncClient(timeout=self.timeout, transport=transport)
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        self.server = _Server(config)
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self.task.done():
                raise OSError("the Snowflake endpoint did not start")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        for session in list(self.sessions.values()):
            with contextlib.suppress(Exception):
                await self._upstream_post(
                    "/session", {}, session.upstream_token, params={"delete": "true"}
                )
        self.sessions.clear()
        if self.server is not None:
            self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 5)
        if self.client is not None:
            await self.client.aclose()

    # -- upstream ----------------------------------------------------------------------------

    def _upstream(self, context: ExperimentContext) -> dict[str, Any]:
        warehouse = context.warehouse
        assert isinstance(warehouse, SnowflakeWarehouse)
        return warehouse.endpoint_login(context.name)

    def _base_url(self) -> str:
        s = self.rt.settings
        port = s.snowflake_port or (443 if s.snowflake_protocol == "https" else 80)
        return f"{s.snowflake_protocol}://{s.snowflake_host or '127.0.0.1'}:{port}"

    async def _upstream_post(
        self, path: str, body: dict[str, Any], token: str | None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        assert self.client is not None
        headers = {"Content-Type": "application/json", "Accept": "application/snowflake"}
        if token:
            headers["Authorization"] = f'Snowflake Token="{token}"'
        answer = await self.client.post(
            self._base_url() + path, json=body, headers=headers, params=params
        )
        try:
            found: dict[str, Any] = answer.json()
        except ValueError:
            found = {"success": False, "code": "000603", "message": answer.text[:200]}
        return found

    # -- routes ------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        body = await _json(request)
        data = body.get("data") or {}
        login = str(data.get("LOGIN_NAME") or "").strip().lower()
        password = str(data.get("PASSWORD") or "")
        asked_db = request.query_params.get("databaseName")
        database = (asked_db.strip('"').lower() if asked_db else "") or login
        try:
            context, expected = await asyncio.to_thread(self._credentials, database)
        except DWSimError as error:  # the state database is down, most likely: say so
            return _error("390201", error.message, status=503)
        # A wrong user, an unknown experiment and a wrong password fail alike.
        if (
            context is None
            or expected is None
            or login != database
            or not hmac.compare_digest(password.encode(), expected.encode())
        ):
            return _error(LOGIN_ERRNO, "Incorrect username or password was specified.")
        if context.warehouse.name != "snowflake":
            return _error(
                "390201",
                f"experiment {database!r} is on the {context.warehouse.name} warehouse; this "
                "endpoint serves experiments on the Snowflake emulator",
            )
        if not context.has_data:
            return _error(
                "390201", f"experiment {database!r} has no data yet: generate a run first"
            )
        role = request.query_params.get("roleName")
        if role and role.strip('"').upper() != ROLE:
            return _error(
                "390189",
                f"Role '{role}' specified in the connect string does not exist or not "
                f"authorized: the experiment's role is {ROLE}",
            )
        schema = (request.query_params.get("schemaName") or PUBLIC).strip('"').upper()
        if schema not in (PUBLIC, WORKSPACE):
            return _error(
                "390201",
                f"schema {schema!r} does not exist: the experiment's schemas are {PUBLIC} "
                f"(generated tables) and {WORKSPACE} (yours)",
            )
        await self._close_idle()
        if len(self.sessions) >= MAX_SESSIONS:
            return _error("390201", f"too many sessions (at most {MAX_SESSIONS})", status=503)
        upstream = self._upstream(context)
        if context.name not in self.readied:
            try:
                await asyncio.to_thread(self._ensure_workspace, context)
            except DWSimError as error:
                return _error("390201", error.message, status=503)
            self.readied.add(context.name)
        settings = self.rt.settings
        answer_max = min(
            settings.emulator_result_max_bytes, ANSWER_FACTOR * settings.query_byte_cap
        )
        parameters: dict[str, Any] = {
            "STATEMENT_TIMEOUT_IN_SECONDS": max(1, math.ceil(settings.query_timeout_s)),
            "DWSIM_RESULT_MAX_BYTES": answer_max,
        }
        autocommit = (data.get("SESSION_PARAMETERS") or {}).get("AUTOCOMMIT")
        if isinstance(autocommit, bool):
            parameters["AUTOCOMMIT"] = autocommit
        try:
            answer = await self._upstream_post(
                "/session/v1/login-request",
                {"data": {"LOGIN_NAME": upstream["user"], "PASSWORD": upstream["password"],
                          "SESSION_PARAMETERS": parameters}},
                None,
                # Quoted: the physical names are lower case (fakesnow folds unquoted ones up).
                params={"databaseName": upstream["database"],
                        "schemaName": f'"{upstream["schema"]}"'},
            )  # fmt: skip
        except httpx.HTTPError as error:
            log.warning("snowflake endpoint: emulator not reachable: %s", error)
            return _error("390201", "the Snowflake emulator is not reachable", status=503)
        if not answer.get("success"):
            return _error("390201", f"snowflake emulator: {answer.get('message')}", status=503)
        translator = Translator(context, login, schema=schema)
        translator.quota_rows = settings.snowflake_workspace_max_rows
        translator.timeout_s = int(parameters["STATEMENT_TIMEOUT_IN_SECONDS"])
        token = secrets.token_urlsafe(32)
        self.sessions[token] = Session(answer["data"]["token"], translator)
        up = answer["data"]
        return JSONResponse(
            {
                "data": {
                    "token": token,
                    "masterToken": secrets.token_urlsafe(32),
                    "validityInSeconds": 3600,
                    "masterValidityInSeconds": 14400,
                    "serverVersion": up.get("serverVersion"),
                    "parameters": up.get("parameters") or [],
                    "sessionInfo": {
                        "databaseName": translator.database,
                        "schemaName": schema,
                        "warehouseName": WAREHOUSE,
                        "roleName": ROLE,
                    },
                },
                "code": None,
                "message": None,
                "success": True,
            }
        )

    @staticmethod
    def _ensure_workspace(context: ExperimentContext) -> None:
        warehouse = context.warehouse
        assert isinstance(warehouse, SnowflakeWarehouse)
        warehouse.ensure_workspace(context.name)

    def _credentials(self, database: str) -> tuple[ExperimentContext | None, str | None]:
        try:
            context = experiment_context(self.rt, database)
        except (NotFound, DWSimError) as error:
            if isinstance(error, NotFound) or getattr(error, "status", 0) in (400, 404, 422):
                return None, None
            raise
        with self.rt.session() as session:
            return context, endpoint_password(session, context.experiment_id)

    async def token_request(self, _: Request) -> Response:
        return _error(SESSION_GONE, "User must login again to access the service.", status=401)

    async def telemetry(self, _: Request) -> Response:
        return JSONResponse({"success": True})

    def _session(self, request: Request) -> Session | None:
        found = self.sessions.get(_token(request))
        if found is not None:
            found.last_used = time.monotonic()
        return found

    async def _close_idle(self) -> None:
        cutoff = time.monotonic() - SESSION_IDLE_S
        for token, session in list(self.sessions.items()):
            if session.last_used < cutoff:
                self.sessions.pop(token, None)
                with contextlib.suppress(httpx.HTTPError):
                    await self._upstream_post(
                        "/session", {}, session.upstream_token, params={"delete": "true"}
                    )

    async def session(self, request: Request) -> Response:
        token = _token(request)
        found = self.sessions.get(token)
        if found is None:
            return _error(SESSION_GONE, "User must login again to access the service.", status=401)
        if request.query_params.get("delete"):
            self.sessions.pop(token, None)
            with contextlib.suppress(httpx.HTTPError):
                await self._upstream_post(
                    "/session", {}, found.upstream_token, params={"delete": "true"}
                )
        return JSONResponse({"data": None, "code": None, "message": None, "success": True})

    async def forward_session(self, request: Request) -> Response:
        found = self._session(request)
        if found is None:
            return _error(SESSION_GONE, "User must login again to access the service.", status=401)
        with contextlib.suppress(httpx.HTTPError):
            await self._upstream_post(request.url.path, {}, found.upstream_token)
        return JSONResponse({"data": None, "code": None, "message": None, "success": True})

    async def monitoring(self, request: Request) -> Response:
        found = self._session(request)
        if found is None:
            return _error(SESSION_GONE, "User must login again to access the service.", status=401)
        assert self.client is not None
        answer = await self.client.get(
            self._base_url() + request.url.path,
            headers={"Authorization": f'Snowflake Token="{found.upstream_token}"'},
        )
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def abort(self, request: Request) -> Response:
        found = self._session(request)
        if found is None:
            return _error(SESSION_GONE, "User must login again to access the service.", status=401)
        body = await _json(request)
        with contextlib.suppress(httpx.HTTPError):
            await self._upstream_post("/queries/v1/abort-request", body, found.upstream_token)
        return JSONResponse({"success": True})

    async def query(self, request: Request) -> Response:
        found = self._session(request)
        if found is None:
            return _error(SESSION_GONE, "User must login again to access the service.", status=401)
        body = await _json(request)
        sql = body.get("sqlText")
        translator = found.translator
        if not isinstance(sql, str):
            return _error("001003", "SQL compilation error: no statement was sent", "42601")
        try:
            sent = await asyncio.to_thread(translator.statement, sql)
        except Refused as refusal:
            return _error(f"{refusal.errno:06d}", refusal.message, refusal.sqlstate)
        except DWSimError as error:
            return _error("000603", error.message, "XX000")
        if isinstance(sent, Answer):
            query_id = str(uuid.uuid4())
            return JSONResponse(answer_json(sent, query_id, translator.database, translator.schema))
        body["sqlText"] = sent
        request_id = request.query_params.get("requestId") or str(uuid.uuid4())
        params = dict(request.query_params) | {"requestId": request_id}
        forwarded = asyncio.ensure_future(
            self._upstream_post("/queries/v1/query-request", body, found.upstream_token, params)
        )
        try:
            # A client that goes away leaves no one to abort its statement: aborted here.
            while not (await asyncio.wait({forwarded}, timeout=DISCONNECT_POLL_S))[0]:
                if await request.is_disconnected():
                    with contextlib.suppress(httpx.HTTPError):
                        await self._upstream_post(
                            "/queries/v1/abort-request", {"requestId": request_id},
                            found.upstream_token,
                        )  # fmt: skip
                    forwarded.cancel()
                    return _error("000604", "SQL execution canceled", "57014")
            answer = forwarded.result()
        except httpx.HTTPError as error:
            log.warning("snowflake endpoint: emulator failed: %s", error)
            return _error("000603", "the Snowflake emulator is not reachable", "08006", 503)
        data = answer.get("data")
        if isinstance(data, dict):
            if "finalDatabaseName" in data:
                data["finalDatabaseName"] = translator.database
                data["finalSchemaName"] = translator.schema
            for column in data.get("rowtype") or []:
                column["database"] = translator.database if column.get("database") else ""
                column["schema"] = ""
        elif answer.get("success") is False and isinstance(answer.get("message"), str):
            answer["message"] = translator.logical_names(answer["message"])
        return JSONResponse(answer)


async def start_snowflake_endpoint(rt: Runtime) -> SnowflakeEndpoint | None:
    """The Snowflake endpoint, listening, when the emulator is configured (port 0: off)."""
    settings = rt.settings
    port = settings.snowflake_endpoint_port
    host = settings.snowflake_host or ""
    # A real account has its own front door: the endpoint serves the emulator only.
    if not host or host.endswith("snowflakecomputing.com") or not port:
        return None
    endpoint = SnowflakeEndpoint(rt, settings.snowflake_endpoint_host, port)
    try:
        await endpoint.start()
    except OSError as error:
        log.error(
            "snowflake endpoint: cannot listen on %s:%s (%s); set DWSIM_SNOWFLAKE_ENDPOINT_PORT",
            settings.snowflake_endpoint_host, port, error,
        )  # fmt: skip
        return None
    log.info("snowflake endpoint listening on %s:%s", endpoint.host, endpoint.port)
    return endpoint
