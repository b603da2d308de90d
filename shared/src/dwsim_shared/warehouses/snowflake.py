"""Snowflake: a fakesnow server (Snowflake emulated on DuckDB) or a real account, one schema
per experiment, loads through the table stage.

Names. Each experiment is the schema `"dwsim_<experiment>"` in database
`DWSIM_SNOWFLAKE_DATABASE` (created when missing); schema, table and column names are
quoted lower case, because the query pipeline folds every identifier to quoted lower case.
The database is the session's, never part of a physical name, for the same reason.

Bulk path. A shard is `PUT` into its table's own stage under a prefix of its own
(`@"dwsim_x"."%table"/run_<id>/shard_<n>/<attempt>/`), then
`COPY INTO ... FILE_FORMAT=(TYPE=PARQUET) MATCH_BY_COLUMN_NAME=CASE_INSENSITIVE FORCE=TRUE PURGE=TRUE`
reads that prefix. fakesnow 0.12.1 runs both (the connector uploads to the server over
HTTP). Not `FILES=(...)`: fakesnow rejects it on internal stages. The prefix is unique per
attempt, so a duplicate delivery's upload is never read by this COPY. `FORCE=TRUE`: the ledger
decides what is loaded, not the load history (which in fakesnow outlives a dropped table).
Tables with semi-structured columns load through a COPY transformation instead, because
Snowflake keeps a Parquet string as a VARIANT string: `PARSE_JSON` makes it a document.

Exactly once. The ledger row in `_dwsim_loads` (in the experiment's schema) is claimed
(`INSERT ... WHERE NOT EXISTS`) in the same transaction as the COPY; a redelivered shard finds
its row and is a no-op. Two deliveries racing both claim in their own snapshots: on fakesnow
(DuckDB) the ledger's primary key fails the second COMMIT, which is why the ledger is read back
after COMMIT rather than trusting its answer. A real account does not enforce keys, so there
a race is only as safe as Snowflake's transactions.

Timeouts. Queries run with the connector's `timeout` (the client cancels the statement) and
`STATEMENT_TIMEOUT_IN_SECONDS`; a real account and the project's emulator honour both.

Queries on the emulator log in as the reader of the experiment's schema (credentials derived
from the project's password, `emulator_guard`), which the emulator confines to reading it.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow.ipc as pa_ipc
import pyarrow.parquet as pq
from sqlglot import exp

from dwsim_shared.emulator_guard import (
    reader_login,
    reader_password,
    writer_login,
    writer_password,
)
from dwsim_shared.errors import (
    BadRequest,
    DependencyUnavailable,
    DWSimError,
    QueryTimeout,
    QueryTooLarge,
)
from dwsim_shared.experiment import SEMI_STRUCTURED_TYPES, Column, Experiment, Table
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses.base import (
    DBAPICursor,
    QueryCursor,
    ShardRef,
    Warehouse,
    staging_name,
    value_too_large,
)
from dwsim_shared.warehouses.namespaces import live_namespace, workspace_namespace
from dwsim_shared.warehouses.snowflake_guard import check_engine_sql, limited_read


class LazyModule:
    """A module imported when one of its names is first read."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if TYPE_CHECKING:
    import snowflake.connector as connector
    import snowflake.connector.errors as sferrors
    from snowflake.connector.connection import SnowflakeConnection
    from snowflake.connector.cursor import SnowflakeCursor
else:
    # The connector costs about a second to import: the engine registry reads this adapter's
    # class attributes in processes that never connect (the query service's rewrite chain).
    connector = LazyModule("snowflake.connector")
    sferrors = LazyModule("snowflake.connector.errors")

COMPONENT = "snowflake warehouse"
# The emulator's answer limit a session asks for (emulator_server), and its error's code.
RESULT_MAX_BYTES = "DWSIM_RESULT_MAX_BYTES"
# The emulator's route for the report's own reads (`emulator_server.engine_read`).
ENGINE_READ = "/dwsim/engine-read"
RESULT_TOO_LARGE_ERRNO = 100078
_ERRNO_PREFIX = re.compile(r"^\d+ \(\w+\): ")
# A JSON answer of N bytes comes from an Arrow result of at most about twice that.
ANSWER_FACTOR = 2
# 604: cancelled by the client's timeout; 630: STATEMENT_TIMEOUT_IN_SECONDS reached.
TIMEOUT_ERRNOS = frozenset({604, 630})
# A statement that lost a race with another session's transaction (the emulator answers a
# DuckDB transaction conflict so): the same statement may succeed when tried again.
CONFLICT_SQLSTATE = "40001"
# Faults of the statement, not of the engine or the network.
STATEMENT_ERRORS = ("ProgrammingError", "DataError", "IntegrityError", "NotSupportedError")
NOT_CONFIGURED = (
    "not configured: set DWSIM_SNOWFLAKE_HOST (with _PORT and _PROTOCOL) for a fakesnow server, "
    "or DWSIM_SNOWFLAKE_ACCOUNT for a real account, and DWSIM_SNOWFLAKE_USER and _PASSWORD"
)


def _message(error: sferrors.Error) -> str:
    return (error.raw_msg or error.msg or str(error)).strip()


@contextlib.contextmanager
def _translated(sql: str | None = None, timeout_s: float | None = None) -> Iterator[None]:
    """Connector errors as the project's: bad SQL, timeout, or the engine being unavailable."""
    try:
        yield
    except DWSimError:
        raise
    except sferrors.Error as error:
        if error.errno in TIMEOUT_ERRNOS and timeout_s is not None:
            raise QueryTimeout(f"query ran longer than {timeout_s:g} s") from error
        if too_large := value_too_large("snowflake", _message(error)):
            raise too_large from error  # a value-limit check of the query service
        if error.errno == RESULT_TOO_LARGE_ERRNO:
            message = _ERRNO_PREFIX.sub("", _message(error))
            raise QueryTooLarge(f"snowflake: {message}", engine_sql=sql) from error
        if error.sqlstate == CONFLICT_SQLSTATE:
            raise DependencyUnavailable(
                COMPONENT, f"a concurrent change conflicted: {_message(error)}"
            ) from error
        if isinstance(error, tuple(getattr(sferrors, name) for name in STATEMENT_ERRORS)):
            raise BadRequest(f"snowflake: {_message(error)}", engine_sql=sql) from error
        if sql is not None and isinstance(error, sferrors.InternalServerError):
            # fakesnow answers a query it cannot run (an unsupported function) with HTTP 500.
            raise BadRequest(
                f"snowflake failed on this statement: {_message(error)}", engine_sql=sql
            ) from error
        raise DependencyUnavailable(COMPONENT, _message(error)) from error


_engine_clients: list[Any] = []
_engine_lock = threading.Lock()


def _httpx() -> Any:
    import httpx  # only where a report runs on the emulator

    return httpx


def _engine_client() -> Any:
    """One HTTP client for the emulator's engine reads, shared by the process's threads (a
    client per request built an SSL context each time: 0.1 s, more than the query)."""
    with _engine_lock:
        if not _engine_clients:
            _engine_clients.append(_httpx().Client())
        return _engine_clients[0]


class SnowflakeWarehouse(Warehouse):
    name = "snowflake"
    label = "Snowflake emulator"
    compat_engine = "snowflake"
    sqlglot_dialect = "snowflake"
    approximate_distinct = True  # COUNT(DISTINCT) over a profile's every column is costly
    required_settings = "DWSIM_SNOWFLAKE_ACCOUNT or _HOST"
    ddl_types: ClassVar[dict[str, str]] = {
        "SMALLINT": "SMALLINT",
        "INT": "INTEGER",
        "BIGINT": "BIGINT",
        "DECIMAL": "NUMBER",
        "FLOAT": "FLOAT",
        "VARCHAR": "VARCHAR",
        "CHAR": "CHAR",
        "DATE": "DATE",
        "TIME": "TIME",
        "TIMESTAMP": "TIMESTAMP_NTZ",
        "TIMESTAMPTZ": "TIMESTAMP_TZ",
        "BOOLEAN": "BOOLEAN",
        "VARIANT": "VARIANT",
        "ARRAY": "ARRAY",
        "OBJECT": "OBJECT",
        "SUPER": "VARIANT",
        "JSON": "VARIANT",
    }
    # A source's plain TIMESTAMP has no time zone; Snowflake's follows an account parameter.
    _ENGINE_TYPES: ClassVar[dict[exp.DType, exp.DType]] = {
        exp.DataType.Type.TIMESTAMP: exp.DataType.Type.TIMESTAMPNTZ,
    }

    schema_name = staticmethod(live_namespace)

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return bool(settings.snowflake_account or settings.snowflake_host)

    def column_type(self, col: Column, source_dialect: str | None = None) -> exp.DataType:
        built = super().column_type(col, source_dialect)
        if isinstance(built.this, exp.DType) and built.this in self._ENGINE_TYPES:
            return exp.DataType(this=self._ENGINE_TYPES[built.this])
        return built

    def _connect_args(self) -> dict[str, Any]:
        s = self.settings
        if not (s.snowflake_host or s.snowflake_account) or not s.snowflake_user:
            raise DependencyUnavailable(COMPONENT, NOT_CONFIGURED)
        args: dict[str, Any] = {
            # The connector needs an account name even where the host is given (fakesnow
            # accepts any): the host's first label is what a real account's host starts with.
            "account": s.snowflake_account or (s.snowflake_host or "").split(".")[0],
            "user": s.snowflake_user,
            "password": s.snowflake_password or "",
            "database": s.snowflake_database,
            "protocol": s.snowflake_protocol,
            "login_timeout": max(1, math.ceil(s.dependency_timeout_s)),
            "network_timeout": max(1, math.ceil(s.snowflake_network_timeout_s)),
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            # No cloud-platform probes at login (the connector's telemetry: six metadata-service
            # requests with a 0.2 s timeout and an AWS session per connection, as each query
            # opens one; they were a sixth of the query service's CPU on the emulator).
            "platform_detection_timeout_seconds": 0.0,
        }
        if s.snowflake_host:
            args["host"] = s.snowflake_host
        if s.snowflake_port:
            args["port"] = s.snowflake_port
        return args

    @contextlib.contextmanager
    def _cursor(
        self, role: str | None = None, reader_of: str | None = None, **session_parameters: Any
    ) -> Iterator[SnowflakeCursor]:
        """A session with the project's credentials, or (`reader_of`, on the emulator) one
        confined to reading that schema, with the credentials derived for it."""
        args = self._connect_args()
        args["session_parameters"] |= session_parameters
        if role:
            args["role"] = role
        if reader_of is not None:
            args["user"] = reader_login(reader_of)
            args["password"] = reader_password(args["password"], reader_of)
        if self._kept is not None:
            key = repr(sorted(args.items()))
            kept = self._kept.get(key)
            if kept is None or kept.is_closed():
                kept = self._kept[key] = self._connect(args)
            with kept.cursor() as cur:
                yield cur
            return
        conn = self._connect(args)
        try:
            with conn.cursor() as cur:
                yield cur
        finally:
            with contextlib.suppress(sferrors.Error):
                conn.close()

    @staticmethod
    def _connect(args: dict[str, Any]) -> SnowflakeConnection:
        try:
            return connector.connect(**args)
        except sferrors.Error as error:
            raise DependencyUnavailable(COMPONENT, _message(error)) from error

    @contextlib.contextmanager
    def kept_sessions(self) -> Iterator[None]:
        """Within the block, statements with the same login and session parameters share one
        session instead of opening one each (opening one costs the emulator about 0.1 s). For
        tests that run hundreds of read-only statements; services open a session per use, so
        no session state carries over from one request to the next."""
        self._kept = {}
        try:
            yield
        finally:
            kept, self._kept = self._kept, None
            for conn in kept.values():
                with contextlib.suppress(sferrors.Error):
                    conn.close()

    def _sql(self, node: exp.Expression) -> str:
        return node.sql(dialect="snowflake")

    def _schema(self, experiment_name: str) -> str:
        return self._sql(exp.to_identifier(self.schema_name(experiment_name), quoted=True))

    def _ledger(self, experiment_name: str) -> str:
        return self._sql(self.physical_table(experiment_name, self.LEDGER_TABLE))

    def check(self) -> None:
        with self._cursor() as cur, _translated():
            cur.execute("SELECT 1")

    def physical_table(self, experiment_name: str, table_name: str) -> exp.Table:
        return exp.table_(
            exp.to_identifier(table_name.lower(), quoted=True),
            db=exp.to_identifier(self.schema_name(experiment_name), quoted=True),
        )

    def prepare(self, experiment: Experiment) -> None:
        database = self._sql(exp.to_identifier(self.settings.snowflake_database))
        schema = self._schema(experiment.name)
        with self._cursor() as cur, _translated():
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
            cur.execute(f"USE DATABASE {database}")
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cur.execute(f"CREATE SCHEMA {schema}")
            for table in experiment.tables:
                cur.execute(self.create_table_sql(experiment, table))
            cur.execute(self._ledger_ddl(experiment.name))

    def _ledger_ddl(self, experiment_name: str) -> str:
        return (
            f"CREATE TABLE {self._ledger(experiment_name)} (run_id BIGINT NOT NULL, "
            "table_name VARCHAR NOT NULL, shard_index INTEGER NOT NULL, "
            '"ROWS" BIGINT NOT NULL, loaded_at TIMESTAMP_TZ DEFAULT CURRENT_TIMESTAMP(), '
            "PRIMARY KEY (run_id, table_name, shard_index))"
        )

    def _ledger_rows(self, cur: SnowflakeCursor, experiment_name: str, ref: ShardRef) -> int | None:
        cur.execute(
            f'SELECT "ROWS" FROM {self._ledger(experiment_name)} '
            "WHERE run_id = %s AND table_name = %s AND shard_index = %s",
            (ref.run_id, ref.table, ref.shard_index),
        )
        row = cur.fetchone()
        return None if row is None else int(row[0])

    def _copy_sql(self, experiment: Experiment, table: Table, stage: str) -> str:
        target = self._sql(self.physical_table(experiment.name, table.name))
        options = "FILE_FORMAT = (TYPE = PARQUET) FORCE = TRUE PURGE = TRUE"
        if not any(c.data_type in SEMI_STRUCTURED_TYPES for c in table.columns):
            match = "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE"
            return f"COPY INTO {target} FROM {stage} {options} {match}"
        names, fields = [], []
        for col in table.columns:
            names.append(self._sql(exp.to_identifier(col.name.lower(), quoted=True)))
            field = f"$1:{self._sql(exp.to_identifier(col.name, quoted=True))}"
            fields.append(
                f"PARSE_JSON({field}::VARCHAR)" if col.data_type in SEMI_STRUCTURED_TYPES else field
            )
        return (
            f"COPY INTO {target} ({', '.join(names)}) "
            f"FROM (SELECT {', '.join(fields)} FROM {stage}) {options}"
        )

    def load_shard(self, experiment: Experiment, table: Table, parquet: Path, ref: ShardRef) -> int:
        rows = pq.ParquetFile(parquet).metadata.num_rows
        schema = self._schema(experiment.name)
        table_stage = self._sql(exp.to_identifier(f"%{table.name.lower()}", quoted=True))
        attempt = f"run_{ref.run_id}/shard_{ref.shard_index}/{uuid.uuid4().hex}/"
        stage = f"@{schema}.{table_stage}/{attempt}"
        source = str(parquet.resolve()).replace("\\", "\\\\").replace("'", "\\'")
        claim = (
            f"INSERT INTO {self._ledger(experiment.name)} "
            '(run_id, table_name, shard_index, "ROWS") SELECT %s, %s, %s, %s '
            f"WHERE NOT EXISTS (SELECT 1 FROM {self._ledger(experiment.name)} "
            "WHERE run_id = %s AND table_name = %s AND shard_index = %s)"
        )
        key = (ref.run_id, ref.table, ref.shard_index)
        with self._cursor() as cur, _translated():
            loaded = self._ledger_rows(cur, experiment.name, ref)
            if loaded is not None:  # loaded before: a redelivered task is a no-op
                return loaded
            cur.execute(f"PUT 'file://{source}' {stage} AUTO_COMPRESS = FALSE OVERWRITE = TRUE")
            cur.execute(f"USE SCHEMA {schema}")  # fakesnow's COPY transformation needs one
            cur.execute("BEGIN")
            try:
                cur.execute(claim, (*key, rows, *key))
                if cur.rowcount != 1:
                    cur.execute("ROLLBACK")
                    return self._ledger_rows(cur, experiment.name, ref) or 0
                cur.execute(self._copy_sql(experiment, table, stage))
                # One row per file (file, status, rows_parsed, rows_loaded, ...); no files: one column.
                copied = sum(int(r[3]) for r in cur.fetchall() if len(r) > 3)
                if copied != rows:
                    raise BadRequest(
                        f"snowflake: COPY INTO loaded {copied} of the shard's {rows} rows"
                    )
                cur.execute("COMMIT")
            except Exception:
                with contextlib.suppress(sferrors.Error):
                    cur.execute("ROLLBACK")
                # A concurrent duplicate that claimed first (the ledger's key refused ours).
                with contextlib.suppress(sferrors.Error):
                    if (done := self._ledger_rows(cur, experiment.name, ref)) is not None:
                        return done
                raise
            # A failed COMMIT (fakesnow: a racing duplicate's key) is answered with a 500 that
            # the connector retries until it "succeeds": the ledger says what was committed.
            if (done := self._ledger_rows(cur, experiment.name, ref)) is None:
                raise DependencyUnavailable(COMPONENT, f"the load of {ref} did not commit")
            return done

    def count_rows(self, experiment: Experiment, table: Table) -> int:
        target = self._sql(self.physical_table(experiment.name, table.name))
        with self._cursor() as cur, _translated():
            cur.execute(f"SELECT COUNT(*) FROM {target}")
            row = cur.fetchone()
            return int(row[0]) if row else 0

    def drop(self, experiment_name: str) -> None:
        workspace = self._sql(exp.to_identifier(workspace_namespace(experiment_name), True))
        with self._cursor() as cur, _translated():
            cur.execute(f"DROP SCHEMA IF EXISTS {self._schema(experiment_name)} CASCADE")
            cur.execute(f"DROP SCHEMA IF EXISTS {workspace} CASCADE")

    def endpoint_login(self, experiment_name: str) -> dict[str, Any]:
        """Where and as whom the Snowflake endpoint's sessions of an experiment log in: the
        emulator's workspace writer of it (reads its schema, writes its workspace)."""
        s = self.settings
        live = self.schema_name(experiment_name)
        workspace = workspace_namespace(experiment_name)
        return {
            "host": s.snowflake_host or "127.0.0.1",
            "port": s.snowflake_port or (443 if s.snowflake_protocol == "https" else 80),
            "protocol": s.snowflake_protocol,
            "user": writer_login(live, workspace),
            "password": writer_password(s.snowflake_password or "", live, workspace),
            "database": s.snowflake_database,
            "schema": workspace,
            "live_schema": live,
        }

    def ensure_workspace(self, experiment_name: str) -> None:
        """The experiment's workspace schema, made with its lower-case name (fakesnow's login
        would make it upper case, where no rewritten statement names it)."""
        workspace = self._sql(exp.to_identifier(workspace_namespace(experiment_name), True))
        database = self._sql(exp.to_identifier(self.settings.snowflake_database))
        with self._cursor() as cur, _translated():
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
            cur.execute(f"USE DATABASE {database}")
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {workspace}")

    def endpoint_workspace_objects(self, experiment_name: str) -> dict[str, dict[str, str]]:
        """The workspace's tables and views, with their columns' types (Snowflake's names)."""
        found: dict[str, dict[str, str]] = {}
        with self._cursor() as cur, _translated():
            for table, columns in self._columns(cur, workspace_namespace(experiment_name)).items():
                found[table] = dict(columns)
        return found

    def _reader_of(self, experiment_name: str) -> str:
        """What a query's session reads: the experiment's schema and its workspace."""
        return f"{self.schema_name(experiment_name)}/{workspace_namespace(experiment_name)}"

    def workspace_objects(self, experiment_name: str) -> dict[str, dict[str, str]]:
        """The workspace's objects, for the query API (which reads them too)."""
        return self.endpoint_workspace_objects(experiment_name)

    def endpoint_workspace_views(self, experiment_name: str) -> list[str]:
        with self._cursor() as cur, _translated():
            cur.execute(
                "SELECT table_name FROM information_schema.views WHERE table_schema = %s",
                (workspace_namespace(experiment_name),),
            )
            return [str(row[0]) for row in cur.fetchall()]

    def workspace_rows(self, experiment_name: str) -> int:
        """How many rows the workspace's tables hold (the endpoint's quota reads it)."""
        with self._cursor() as cur, _translated():
            cur.execute(
                "SELECT COALESCE(SUM(row_count), 0) FROM information_schema.tables "
                "WHERE table_schema = %s",
                (workspace_namespace(experiment_name),),
            )
            row = cur.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def bounded_sql(self, experiment_name: str, sql: str, rows: int) -> str:
        return limited_read(
            sql, rows, self.schema_name(experiment_name), frozenset({self.LEDGER_TABLE}),
            also=workspace_namespace(experiment_name),
        )  # fmt: skip

    def _schema_exists(self, cur: SnowflakeCursor, name: str) -> bool:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (name,)
        )
        row = cur.fetchone()
        return bool(row and row[0])

    def publish(self, experiment: Experiment, run_id: int) -> bool:
        """`ALTER SCHEMA … SWAP WITH …` on a real account (atomic). fakesnow (DuckDB) can neither
        swap nor rename a schema, so there the tables are replaced inside one transaction."""
        staging_exp = staging_name(experiment.name, run_id)
        staging, live = self._schema(staging_exp), self._schema(experiment.name)
        with self._cursor() as cur, _translated():
            cur.execute(
                f"USE DATABASE {self._sql(exp.to_identifier(self.settings.snowflake_database))}"
            )
            if not self._schema_exists(cur, self.schema_name(staging_exp)):
                return False
            if self.is_emulator:
                self._replace_tables(cur, experiment, staging_exp)
            else:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {live}")
                cur.execute(f"ALTER SCHEMA {live} SWAP WITH {staging}")
            cur.execute(f"DROP SCHEMA IF EXISTS {staging} CASCADE")
        return True

    @property
    def is_emulator(self) -> bool:
        """fakesnow answers statements it cannot run with HTTP 500, which the connector retries
        for minutes: what it lacks (schema swap) is not even tried there."""
        host = self.settings.snowflake_host or ""
        return bool(host) and not host.endswith("snowflakecomputing.com")

    def _columns(self, cur: SnowflakeCursor, schema: str) -> dict[str, list[tuple[str, str]]]:
        cur.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
            (schema,),
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in cur.fetchall():
            found.setdefault(table, []).append((column, data_type))
        return found

    def _replace_tables(self, cur: SnowflakeCursor, experiment: Experiment, source: str) -> None:
        """The emulator's publish: rows replaced in one transaction. Tables are created before
        it (fakesnow records column metadata in another database, which a DuckDB transaction
        cannot also write), so only a table whose columns changed is replaced outside it."""
        live_schema = self.schema_name(experiment.name)
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {self._schema(experiment.name)}")
        live_columns = self._columns(cur, live_schema)
        staged_columns = self._columns(cur, self.schema_name(source))
        names = [t.name.lower() for t in experiment.tables] + [self.LEDGER_TABLE]
        for table in experiment.tables:
            name = table.name.lower()
            if live_columns.get(name) != staged_columns.get(name):
                cur.execute(
                    f"DROP TABLE IF EXISTS {self._sql(self.physical_table(experiment.name, name))}"
                )
                cur.execute(self.create_table_sql(experiment, table))
        if self.LEDGER_TABLE not in live_columns:
            cur.execute(self._ledger_ddl(experiment.name))
        cur.execute("BEGIN")
        try:
            for name in names:
                target = self._sql(self.physical_table(experiment.name, name))
                origin = self._sql(self.physical_table(source, name))
                columns = ", ".join(
                    self._sql(exp.to_identifier(c, quoted=True)) for c, _ in staged_columns[name]
                )
                cur.execute(f"DELETE FROM {target}")
                cur.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {origin}")
            cur.execute("COMMIT")
        except Exception:
            with contextlib.suppress(sferrors.Error):
                cur.execute("ROLLBACK")
            raise
        for name in set(live_columns) - set(names):  # tables the new run no longer has
            cur.execute(
                f"DROP TABLE IF EXISTS {self._sql(self.physical_table(experiment.name, name))}"
            )

    def drop_staging(self, experiment_name: str, run_ids: Sequence[int]) -> None:
        with self._cursor() as cur, _translated():
            for run_id in run_ids:
                schema = self._schema(staging_name(experiment_name, run_id))
                cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def reset(self, experiment: Experiment) -> list[str]:
        with self._cursor() as cur, _translated():
            if not self._schema_exists(cur, self.schema_name(experiment.name)):
                return []
            emptied = []
            for table in experiment.tables:
                target = self._sql(self.physical_table(experiment.name, table.name))
                cur.execute(f"TRUNCATE TABLE {target}")
                emptied.append(table.name.lower())
        return emptied

    @property
    def report_dialect(self) -> str:
        """On the emulator the report's queries are DuckDB's own SQL (`report_row`)."""
        return "duckdb" if self.is_emulator else self.sqlglot_dialect

    def report_row(self, experiment_name: str, sql: str, *, timeout_s: float) -> list[Any]:
        """On the emulator, the report's query (DuckDB's SQL, built by the project) goes to its
        engine-read route with the project's credentials: no login, no SQL translation and no
        DESCRIBE of the statement, which were most of a report query's cost there (0.1 s of
        translation against 0.01-0.04 s of DuckDB for a TPC-H table's checks, and 0.2-0.6 s
        per login on a busy box). A real account runs it as any query."""
        if not self.is_emulator:
            return super().report_row(experiment_name, sql, timeout_s=timeout_s)
        s = self.settings
        if not s.snowflake_host or not s.snowflake_user:
            raise DependencyUnavailable(COMPONENT, NOT_CONFIGURED)
        seconds = max(1, math.ceil(timeout_s))
        port = s.snowflake_port or (443 if s.snowflake_protocol == "https" else 80)
        try:
            answer = _engine_client().post(
                f"{s.snowflake_protocol}://{s.snowflake_host}:{port}{ENGINE_READ}",
                json={"sql": sql, "database": s.snowflake_database, "timeout_s": seconds},
                auth=(s.snowflake_user, s.snowflake_password or ""),
                timeout=seconds + s.dependency_timeout_s,
            )
        except _httpx().HTTPError as error:
            raise DependencyUnavailable(
                COMPONENT, f"the emulator did not answer: {error}"
            ) from error
        if answer.status_code == 200:
            table = pa_ipc.open_stream(answer.content).read_all()
            if not table.num_rows:
                return []
            return [table.column(i)[0].as_py() for i in range(table.num_columns)]
        try:
            message = str(answer.json()["message"])
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {answer.status_code}"
        if answer.status_code == 408:
            raise QueryTimeout(f"query ran longer than {timeout_s:g} s")
        if answer.status_code == 400:
            raise BadRequest(f"snowflake: {message}", engine_sql=sql)
        raise DependencyUnavailable(COMPONENT, message)

    @contextlib.contextmanager
    def query_cursor(
        self, experiment_name: str, sql: str, *, timeout_s: float, answer_bytes: int | None = None
    ) -> Iterator[QueryCursor]:
        check_engine_sql(
            sql, self.schema_name(experiment_name), frozenset({self.LEDGER_TABLE}),
            also=workspace_namespace(experiment_name),
        )  # fmt: skip
        seconds = max(1, math.ceil(timeout_s))
        # The emulator sends a whole result in one answer, which the connector holds in memory
        # several times over: it refuses one larger than this (a real account ignores it).
        answer_max = self.settings.emulator_result_max_bytes
        if answer_bytes is not None:
            answer_max = min(answer_max, ANSWER_FACTOR * answer_bytes)
        with (
            # On a real account, a role that can only read the experiments' schemas; on the
            # emulator, a session that can only read this experiment's schema.
            self._cursor(
                role=self.settings.snowflake_query_role,
                reader_of=self._reader_of(experiment_name) if self.is_emulator else None,
                STATEMENT_TIMEOUT_IN_SECONDS=seconds,
                **({RESULT_MAX_BYTES: answer_max} if self.is_emulator else {}),
            ) as cur,
            _translated(sql, timeout_s),
        ):
            # The engine stops the statement at `seconds` (STATEMENT_TIMEOUT_IN_SECONDS, which
            # the project's emulator honours too); the client's own cancel is the fallback.
            cur.execute(sql, timeout=seconds + 2)
            yield DBAPICursor(cur)
