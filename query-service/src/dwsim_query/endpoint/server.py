"""The Redshift endpoint: a PostgreSQL wire-protocol front door to experiments on the mock.

A transparent proxy: it handles the startup itself (TLS, the experiment's password, the
startup parameters PostgreSQL would refuse), logs in upstream as the experiment's reader role,
then forwards the protocol both ways, rewriting only the messages that carry SQL (Query and
Parse). Types, errors, COPY, transactions and cancellation stay PostgreSQL's own.

A statement the endpoint does not send is replaced by a token PostgreSQL rejects as a syntax
error, and that error is answered with the refusal's SQLSTATE and text: so the transaction
state (a failed transaction block stays failed) and the extended protocol's skip-to-Sync are
the server's, never imitated.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import logging
import re
import secrets
import ssl
import struct
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any

from dwsim_query.endpoint import copy, system_tables, upstream, wire
from dwsim_query.endpoint.scram import ScramFailed, ScramServer
from dwsim_query.endpoint.statements import REDSHIFT_SERVER_VERSION, Refused, Translator
from dwsim_query.endpoint.tls import server_context
from dwsim_query.service import ExperimentContext, experiment_context
from dwsim_shared.endpoint_credentials import endpoint_password
from dwsim_shared.errors import Busy, DWSimError, NotFound
from dwsim_shared.objectstore import make_object_store
from dwsim_shared.runtime import Runtime
from dwsim_shared.warehouses.namespaces import (
    WORKSPACE_SCHEMA,
    live_namespace,
    workspace_namespace,
)
from dwsim_shared.warehouses.redshift import RedshiftMockWarehouse

log = logging.getLogger(__name__)
# Startup parameters passed on: how values are written, never what is read or who reads.
FORWARDED_PARAMS = {
    "application_name", "client_encoding", "datestyle", "timezone", "extra_float_digits",
    "intervalstyle",
}  # fmt: skip
COMPAT_SCHEMA = "dwsim_compat"
CATALOG_SCHEMA = "dwsim_catalog"
STARTUP_TIMEOUT_S = 60
_MARKER = re.compile(r'"(dwsim_refused_\d+)"')
_LENGTH = struct.Struct("!xI").unpack_from  # a message's length, after its type byte


class LoginRefused(Exception):
    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message


class RedshiftEndpoint:
    """One listening socket; one `Session` per client connection."""

    def __init__(self, rt: Runtime, host: str, port: int, cert_folder: Path) -> None:
        self.rt = rt
        self.host, self.port = host, port
        self.ssl_context = server_context(cert_folder)
        self.server: asyncio.Server | None = None
        self.markers = itertools.count(1)
        self.sessions: set[asyncio.Task[None]] = set()
        self.readied: set[str] = set()
        self.history = system_tables.History()  # what sessions sent (stl_query, stv_recents)
        self.store = make_object_store(rt.settings)  # COPY and UNLOAD read and write there
        self.upstreams = 0  # sessions holding a connection of the mock's server
        self.max_sessions: int | None = None  # known at the first login
        self.server_connections: int | None = None  # the server's max_connections

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            for task in list(self.sessions):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            await Session(self, reader, writer).run()
        except (
            ConnectionError, asyncio.IncompleteReadError, wire.ProtocolViolation, ssl.SSLError,
            TimeoutError,
        ):  # fmt: skip
            pass  # the client went away or spoke something else: nothing to answer
        except Exception:
            log.exception("redshift endpoint: session failed")
            with contextlib.suppress(Exception):
                writer.write(
                    wire.error_response("XX000", "internal error of the endpoint", "FATAL")
                )
                await writer.drain()
        finally:
            self.sessions.discard(task)
            writer.close()

    @property
    def upstream_url(self) -> str:
        return RedshiftMockWarehouse(self.rt.settings)._url()

    async def session_limit(self) -> int:
        """How many sessions the endpoint serves at once: its setting, and no more than the
        server's max_connections less the connections kept for the other services."""
        if self.max_sessions is None:
            settings = self.rt.settings
            try:
                self.server_connections = await asyncio.to_thread(self._server_connections)
            except DWSimError as error:  # the mock is down or full: say so, count nothing
                raise LoginRefused(
                    "53300" if isinstance(error, Busy) else "08006", error.message
                ) from error
            spare = self.server_connections - settings.redshift_endpoint_reserved_connections
            self.max_sessions = max(1, min(settings.redshift_endpoint_max_sessions, spare))
            if self.max_sessions < settings.redshift_endpoint_max_sessions:
                log.warning(
                    "redshift endpoint: at most %s sessions at once (the mock's max_connections "
                    "%s less DWSIM_REDSHIFT_ENDPOINT_RESERVED_CONNECTIONS %s)",
                    self.max_sessions, self.server_connections,
                    settings.redshift_endpoint_reserved_connections,
                )  # fmt: skip
        return self.max_sessions

    def _server_connections(self) -> int:
        warehouse = RedshiftMockWarehouse(self.rt.settings)
        with warehouse._connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT current_setting('max_connections')::int")
            row = cur.fetchone()
            conn.rollback()
        return int(row[0]) if row else 100

    def limit_refusal(self, limit: int) -> LoginRefused:
        settings = self.rt.settings
        spare = (self.server_connections or 0) - settings.redshift_endpoint_reserved_connections
        if limit == spare and limit < settings.redshift_endpoint_max_sessions:
            why = (
                f"the Redshift mock's max_connections is {self.server_connections}, of which "
                f"{settings.redshift_endpoint_reserved_connections} are kept for the other "
                "services (DWSIM_REDSHIFT_ENDPOINT_RESERVED_CONNECTIONS)"
            )
        else:
            why = "DWSIM_REDSHIFT_ENDPOINT_MAX_SESSIONS"
        return LoginRefused(
            "53300",
            f"too many connections: the Redshift endpoint serves at most {limit} sessions at "
            f"once ({why}); close one or retry later",
        )


class Session:
    def __init__(
        self, endpoint: RedshiftEndpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.endpoint, self.rt = endpoint, endpoint.rt
        self.reader, self.writer = reader, writer
        self.refusals: OrderedDict[str, Refused] = OrderedDict()
        self.translator: Translator | None = None
        self.holds_slot = False
        self.user = ""
        self.running: list[system_tables.Statement] = []  # sent, not yet answered
        self.failed = False  # an error answered what is running
        # COPY and UNLOAD: what the statements sent load and unload, in order; the one
        # PostgreSQL asked data for (feed) or sends data of (sink).
        self.feeds: deque[copy.CopyIn] = deque()
        self.unloads: deque[copy.Unload] = deque()
        self.feed: copy.CopyIn | None = None
        self.sink: copy.Unload | None = None
        self.sink_done = False  # the sink's rows are all in: write its object, then answer

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            self._drop_copies()
            if self.running:  # the session ended before its answer: the statement did not finish
                self._answered(aborted=True)
            if self.holds_slot:
                self.endpoint.upstreams -= 1
                self.holds_slot = False

    async def _run(self) -> None:
        try:
            # A client that connects and says nothing (or too slowly) holds nothing for long.
            async with asyncio.timeout(STARTUP_TIMEOUT_S):
                params = await self._startup()
                if params is None:
                    return
                context, upstream_session = await self._login(params)
        except LoginRefused as refusal:
            self.writer.write(wire.error_response(refusal.sqlstate, refusal.message, "FATAL"))
            await self.writer.drain()
            return
        user = params.get("user", "")
        self.translator = Translator(context, user, int(self.rt.settings.query_timeout_s * 1000))
        self.translator.backend_pid = int.from_bytes(upstream_session.key_data[:4], "big")
        self.translator.system_rows = self._system_rows
        self.translator.store = self.endpoint.store
        self.user = user
        out = [wire.authentication(0)]
        for name, value in upstream_session.statuses:
            if name == "session_authorization":
                value = user
            elif name == "server_version":
                value = REDSHIFT_SERVER_VERSION  # what Redshift reports; its drivers parse it
            out.append(wire.parameter_status(name, value))
        out.append(wire.message(b"K", upstream_session.key_data))
        out.append(wire.message(b"Z", b"I"))
        self.writer.write(b"".join(out))
        await self.writer.drain()
        await self._relay(upstream_session)

    async def _startup(self) -> dict[str, str] | None:
        """The parameters of the client's StartupMessage, after TLS if it asked for it; None for
        a cancel request (forwarded) or a protocol the endpoint does not speak."""
        for _ in range(3):  # GSSAPI refused, then TLS, then the startup message
            code, body = await wire.read_startup(self.reader)
            if code == wire.SSL_REQUEST:
                self.writer.write(b"S")
                await self.writer.drain()
                await self.writer.start_tls(self.endpoint.ssl_context)
            elif code == wire.GSSENC_REQUEST:
                self.writer.write(b"N")
                await self.writer.drain()
            elif code == wire.CANCEL_REQUEST:
                await upstream.cancel(self.endpoint.upstream_url, body[:8])
                return None
            elif code == wire.PROTOCOL_3:
                return wire.startup_params(body)
            else:
                self.writer.write(
                    wire.error_response("08P01", "unsupported frontend protocol", "FATAL")
                )
                return None
        return None

    async def _login(self, params: dict[str, str]) -> tuple[ExperimentContext, upstream.Upstream]:
        user = params.get("user", "")
        database = params.get("database") or user
        try:
            context, password = await asyncio.to_thread(self._credentials, database)
        except DWSimError as error:  # the state database is down, most likely: say so
            raise LoginRefused("08006", error.message) from error
        # A wrong user, an unknown experiment and a wrong password fail alike, after the same
        # exchange: the answer does not tell which experiments exist.
        expected = password if context is not None and user == database else None
        # Redshift's own drivers (they send client_protocol_version) fail on PostgreSQL's SASL
        # message (redshift_connector 2.x reads an empty mechanism name from it): MD5 for them.
        authenticate = self._md5 if "client_protocol_version" in params else self._scram
        if not await authenticate(expected or secrets.token_urlsafe(24), user) or expected is None:
            raise LoginRefused("28P01", f'password authentication failed for user "{user}"')
        assert context is not None
        if context.warehouse.name != "redshift":
            raise LoginRefused(
                "3D000",
                f"experiment {database!r} is on the {context.warehouse.name} warehouse; this "
                "endpoint serves experiments on the Redshift mock",
            )
        if not context.has_data:
            raise LoginRefused(
                "55000", f"experiment {database!r} has no data yet: generate a run first"
            )
        return context, await self._connect_upstream(context, params)

    def _credentials(self, database: str) -> tuple[ExperimentContext | None, str | None]:
        try:
            context = experiment_context(self.rt, database)
        except NotFound:
            return None, None
        with self.rt.session() as session:
            return context, endpoint_password(session, context.experiment_id)

    async def _md5(self, password: str, user: str) -> bool:
        salt = secrets.token_bytes(4)
        self.writer.write(wire.authentication(5, salt))
        await self.writer.drain()
        kind, payload = await wire.read_message(self.reader)
        inner = hashlib.md5((password + user).encode()).hexdigest()
        expected = "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
        return kind == b"p" and hmac.compare_digest(payload.rstrip(b"\0"), expected.encode())

    async def _scram(self, password: str, _user: str) -> bool:
        """SCRAM-SHA-256 with the client (libpq, psycopg, JDBC and redshift_connector speak it);
        the password itself never crosses the wire."""
        server = ScramServer(password)
        self.writer.write(wire.authentication(10, b"SCRAM-SHA-256\0\0"))
        await self.writer.drain()
        try:
            kind, payload = await wire.read_message(self.reader)
            if kind != b"p":
                return False
            mechanism, offset = wire.cstring(payload, 0)
            if mechanism != "SCRAM-SHA-256":
                return False
            (length,) = struct.unpack("!I", payload[offset : offset + 4])
            server_first = server.first(payload[offset + 4 : offset + 4 + length].decode())
            self.writer.write(wire.authentication(11, server_first.encode()))
            await self.writer.drain()
            kind, payload = await wire.read_message(self.reader)
            if kind != b"p":
                return False
            server_final = server.final(payload.decode())
            self.writer.write(wire.authentication(12, server_final.encode()))
            return True
        except (ScramFailed, UnicodeDecodeError, ValueError, struct.error):
            return False

    async def _connect_upstream(
        self, context: ExperimentContext, params: dict[str, str]
    ) -> upstream.Upstream:
        settings = self.rt.settings
        warehouse = context.warehouse
        assert isinstance(warehouse, RedshiftMockWarehouse)
        limit = await self.endpoint.session_limit()
        if self.endpoint.upstreams >= limit:
            raise self.endpoint.limit_refusal(limit)
        self.endpoint.upstreams += 1  # taken before the first await: no other login races it
        self.holds_slot = True
        login = warehouse.endpoint_login(context.name)
        forwarded = {k: v for k, v in params.items() if k.lower() in FORWARDED_PARAMS}
        session_params = {
            **forwarded,
            "application_name": forwarded.get("application_name", "dwsim-redshift-endpoint"),
            # The catalog last: its functions (pg_get_late_binding_view_cols) by their names.
            "search_path": f'"{live_namespace(context.name)}", {COMPAT_SCHEMA}, {CATALOG_SCHEMA}',
            "statement_timeout": str(int(settings.query_timeout_s * 1000)),
            # The role's default is read-only (the REST path); through the endpoint it writes
            # its workspace, and its grants keep the generated tables read-only.
            "default_transaction_read_only": "off",
            "dwsim.database": context.name,  # what the catalog views answer as the database
            # The endpoint's login role runs every statement as the experiment's reader; RESET
            # ROLE and DISCARD ALL come back to it (SET ROLE is refused).
            "role": login["role"],
        }
        if context.name not in self.endpoint.readied:
            # Once per experiment and process: the reader's grants and the catalog views are
            # those of this version, whenever its data was loaded.
            try:
                await asyncio.to_thread(warehouse.ensure_reader, context.name)
            except DWSimError as failure:
                raise LoginRefused("08006", failure.message) from failure
            self.endpoint.readied.add(context.name)
        for attempt in range(2):
            try:
                return await upstream.connect(
                    login["url"], login["user"], login["password"], session_params,
                    settings.dependency_timeout_s,
                )  # fmt: skip
            except upstream.UpstreamError as error:
                code = error.fields.get("C", "")
                if code == "53300":
                    raise self._at_a_limit(context, error) from error
                # The reader role is made on first use (data loaded before readers existed).
                if attempt or not code.startswith("28"):
                    raise LoginRefused("08006", f"redshift mock: {error}") from error
                try:
                    await asyncio.to_thread(warehouse.ensure_reader, context.name)
                except DWSimError as failure:
                    raise LoginRefused("08006", failure.message) from failure
            except (OSError, TimeoutError) as error:
                raise LoginRefused("08006", "redshift mock is not reachable") from error
        raise AssertionError("unreachable")

    def _system_rows(self, table: str) -> list[tuple[Any, ...]]:
        """The rows of a system table for this session's experiment (in a translation
        thread)."""
        assert self.translator is not None
        context = self.translator.context
        if table == "stl_load_errors":
            return system_tables.load_errors(self.rt, context.experiment_id, self.endpoint.store)
        if table == "stl_query":
            return system_tables.query_rows(self.endpoint.history, context.name)
        return system_tables.recents_rows(self.endpoint.history, context.name)

    def _record(self, sql: str) -> None:
        assert self.translator is not None
        self.running.append(
            self.endpoint.history.started(
                self.translator.context.name, self.translator.backend_pid, self.user, sql
            )
        )

    def _answered(self, aborted: bool) -> None:
        """The server is ready for the next query: what was sent is over."""
        now = system_tables._now()
        for statement in self.running:
            statement.end = now
            statement.aborted = aborted
        self.running.clear()

    def _at_a_limit(
        self, context: ExperimentContext, error: upstream.UpstreamError
    ) -> LoginRefused:
        """PostgreSQL's own refusal for lack of connections, naming the limit reached."""
        if "for role" in error.fields.get("M", ""):
            return LoginRefused(
                "53300",
                f"too many connections to experiment {context.name!r}: it takes at most "
                f"{self.rt.settings.redshift_endpoint_max_sessions} endpoint sessions at once "
                "(DWSIM_REDSHIFT_ENDPOINT_MAX_SESSIONS); close one or retry later",
            )
        return LoginRefused(
            "53300",
            "too many connections: every connection of the Redshift mock's server is in use "
            f"(its max_connections is {self.endpoint.server_connections}); close one or retry "
            "later",
        )

    async def _relay(self, server: upstream.Upstream) -> None:
        to_server = asyncio.create_task(self._client_to_server(server))
        to_client = asyncio.create_task(self._server_to_client(server))
        done, pending = await asyncio.wait(
            {to_server, to_client}, return_when=asyncio.FIRST_COMPLETED
        )
        if to_server in done and not to_server.result():
            # The client vanished (no Terminate): whatever it was running must not go on.
            with contextlib.suppress(OSError, TimeoutError):
                await upstream.cancel(self.endpoint.upstream_url, server.key_data)
        for task in pending:
            task.cancel()
        server.writer.close()

    async def _client_to_server(self, server: upstream.Upstream) -> bool:
        """Forward the client's messages; True when it said goodbye (Terminate)."""
        try:
            while True:
                kind, payload = await wire.read_message(self.reader)
                if kind == b"Q":
                    payload = await self._rewrite_query(payload)
                elif kind == b"P":
                    payload = await self._rewrite_parse(payload)
                server.writer.write(wire.message(kind, payload))
                await server.writer.drain()
                if kind == b"X":
                    return True
        except (ConnectionError, asyncio.IncompleteReadError, wire.ProtocolViolation):
            return False

    async def _server_to_client(self, server: upstream.Upstream) -> None:
        """Forward the server's bytes as they come, in chunks: a message is looked at only to
        find where it ends and, for an ErrorResponse, whether it answers a refusal."""
        pending = b""  # the start of a message that did not arrive whole
        while True:
            try:
                chunk = await server.reader.read(upstream.BUFFER)
            except ConnectionError:
                return
            if not chunk:
                return
            pending = pending + chunk if pending else chunk
            while True:
                if self.feeds or self.unloads or self.sink is not None:
                    out, pos = self._copy_messages(pending)
                else:
                    out, pos = self._complete_messages(pending)
                pending = pending[pos:]
                if out:
                    self.writer.write(out)
                    await self.writer.drain()
                if self.feed is not None:  # PostgreSQL waits for the COPY's rows
                    await self._feed(server, self.feed)
                    self.feed = None
                elif self.sink is not None and self.sink_done:  # the UNLOAD's rows are in
                    sink = self.sink
                    sink.result = await asyncio.to_thread(sink.finish)
                    self.sink_done = False
                    continue  # its CommandComplete, waiting in `pending`, is answered now
                break

    def _copy_messages(self, data: bytes) -> tuple[bytes, int]:
        """As `_complete_messages`, message by message, while a COPY or an UNLOAD is under
        way: PostgreSQL's side of the copy stays between it and the endpoint, and the client
        sees the statement's completion."""
        pos, size = 0, len(data)
        parts: list[bytes] = []
        while size - pos >= 5:
            kind = data[pos]
            end = pos + 1 + int.from_bytes(data[pos + 1 : pos + 5], "big")
            if end > size:
                break
            sink = self.sink
            if kind == 0x47 and self.feeds:  # CopyInResponse: the rows of the COPY now
                self.feed = self.feeds.popleft()
                pos = end
                break
            if kind == 0x48 and self.unloads and sink is None:  # CopyOutResponse
                self.sink = self.unloads.popleft()
            elif kind == 0x64 and sink is not None:  # CopyData
                sink.write(bytes(data[pos + 5 : end]))
            elif kind == 0x63 and sink is not None:  # CopyDone
                self.sink_done = True
            elif kind == 0x43 and sink is not None:  # CommandComplete of the UNLOAD
                if sink.result is None:
                    self.sink_done = True
                    break  # answered once its object is written
                if sink.result:
                    parts.append(wire.error_response(sink.sqlstate, sink.result))
                else:
                    parts.append(wire.message(b"C", b"UNLOAD\0"))
                self.sink = None
            elif kind == 0x45:  # "E"
                if sink is not None:
                    sink.close()
                self.sink, self.sink_done = None, False
                parts.append(wire.message(b"E", self._refusal_error(bytes(data[pos + 5 : end]))))
                self.failed = True
            elif kind == 0x5A:  # ReadyForQuery: what was not started will not be
                parts.append(bytes(data[pos:end]))
                self._drop_copies()
                if self.running:
                    self._answered(self.failed)
                self.failed = False
            else:
                parts.append(bytes(data[pos:end]))
            pos = end
        return b"".join(parts), pos

    def _drop_copies(self) -> None:
        for plan in self.feeds:
            plan.close()
        for sink in self.unloads:
            sink.close()
        self.feeds.clear()
        self.unloads.clear()
        if self.sink is not None:
            self.sink.close()
        self.sink, self.sink_done = None, False

    async def _feed(self, server: upstream.Upstream, plan: copy.CopyIn) -> None:
        """The COPY's rows to PostgreSQL as CopyData, then CopyDone (CopyFail if a file cannot
        be read: PostgreSQL then fails the statement with that reason)."""
        try:
            for chunk in plan.chunks():
                server.writer.write(wire.message(b"d", chunk))
                await server.writer.drain()
            server.writer.write(wire.message(b"c"))
        except OSError as error:
            reason = f"COPY from {plan.table}: the prepared rows could not be read ({error})"
            server.writer.write(wire.message(b"f", reason.encode() + b"\0"))
        finally:
            plan.close()
        await server.writer.drain()

    def _complete_messages(self, data: bytes) -> tuple[bytes, int]:
        """The whole messages at the start of `data` (refusals' errors rewritten), and where
        the first incomplete one starts. The hot path of a fetch: per message, only its
        length is read (a million DataRows cost ~0.3 s here) and the bytes are copied once."""
        pos, size, last = 0, len(data), -1
        limit = size - 5
        length = _LENGTH
        errors: list[int] = []
        while pos <= limit:
            end = pos + 1 + length(data, pos)[0]
            if end > size:
                break
            if data[pos] == 0x45:  # "E"
                errors.append(pos)
            last, pos = pos, end
        # ReadyForQuery ends the server's answer to what was sent: the history notes its end.
        if errors:
            self.failed = True
        if self.running and last >= 0 and data[last] == 0x5A:  # "Z"
            self._answered(self.failed)
            self.failed = False
        if not errors:
            return (data if pos == size else data[:pos]), pos
        parts: list[bytes] = []
        start = 0
        for at in errors:
            end = at + 1 + length(data, at)[0]
            parts.append(bytes(data[start:at]))
            parts.append(wire.message(b"E", self._refusal_error(bytes(data[at + 5 : end]))))
            start = end
        parts.append(bytes(data[start:pos]))
        return b"".join(parts), pos

    def _refusal_error(self, payload: bytes) -> bytes:
        fields = wire.error_fields(payload)
        found = _MARKER.search(fields.get("M", "")) if fields.get("C") == "42601" else None
        refusal = self.refusals.pop(found[1], None) if found else None
        if refusal is None:
            return self._logical_names(fields) or payload
        return wire.error_response(refusal.sqlstate, refusal.message)[5:]

    def _logical_names(self, fields: dict[str, str]) -> bytes | None:
        """PostgreSQL's error with the schemas named as the client names them, or None when it
        names none of them."""
        if self.translator is None:
            return None
        name = self.translator.context.name
        names = {workspace_namespace(name): WORKSPACE_SCHEMA, live_namespace(name): "public"}
        changed = False
        for key in ("M", "D", "H", "W", "s"):
            text = fields.get(key)
            if not text:
                continue
            for physical, logical in names.items():
                if physical in text:
                    text = text.replace(f'"{physical}"', logical).replace(physical, logical)
                    changed = True
            fields[key] = text
        if not changed:
            return None
        body = b"".join(k.encode() + v.encode() + b"\0" for k, v in fields.items()) + b"\0"
        return body

    def _marker(self, refusal: Refused) -> str:
        marker = f"dwsim_refused_{next(self.endpoint.markers)}"
        self.refusals[marker] = refusal
        while len(self.refusals) > 64:  # refusals never answered (skipped after an error)
            self.refusals.popitem(last=False)
        return marker

    async def _rewrite_query(self, payload: bytes) -> bytes:
        sql = payload.rstrip(b"\0").decode()
        assert self.translator is not None
        self._record(sql)
        rewritten = await self._translate(sql)
        return rewritten.encode() + b"\0"

    async def _translate(self, sql: str) -> str:
        """The SQL to send for `sql` (off the event loop unless this session translated it
        before), or a refusal's marker."""
        assert self.translator is not None
        cached = self.translator.cached(sql)
        if cached is not None:
            return cached
        translator = self.translator
        try:
            rewritten = await asyncio.to_thread(translator.script, sql)
        except Refused as refusal:
            for plan in translator.copies:
                plan.close()
            translator.copies.clear()
            return self._marker(refusal)
        for plan in translator.copies:
            if isinstance(plan, copy.CopyIn):
                self.feeds.append(plan)
            else:
                self.unloads.append(plan)
        translator.copies.clear()
        return rewritten

    async def _rewrite_parse(self, payload: bytes) -> bytes:
        name, offset = wire.cstring(payload, 0)
        sql, offset = wire.cstring(payload, offset)
        self._record(sql)
        rewritten = await self._translate(sql)
        return name.encode() + b"\0" + rewritten.encode() + b"\0" + payload[offset:]
