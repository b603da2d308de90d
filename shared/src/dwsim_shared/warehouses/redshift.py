"""The Redshift mock: PostgreSQL, one schema per experiment, loads through binary COPY FROM
STDIN (Arrow batches encoded by pgpq; CSV for a table with a column type pgpq cannot write)."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import psycopg2
import psycopg2.errors
import psycopg2.extras
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg2 import sql as pgsql
from sqlglot import exp

from dwsim_shared.compat_packs import postgres as compat_pack
from dwsim_shared.errors import (
    BadRequest,
    Busy,
    DependencyUnavailable,
    NotFound,
    QueryTimeout,
    QueryTooLarge,
    TooManyRequests,
)
from dwsim_shared.experiment import SEMI_STRUCTURED_TYPES, Experiment, Table
from dwsim_shared.settings import Settings
from dwsim_shared.transient import POSTGRES_SERVER_FULL
from dwsim_shared.warehouses.base import (
    DBAPICursor,
    QueryCursor,
    ShardRef,
    Warehouse,
    staging_name,
    value_too_large,
)
from dwsim_shared.warehouses.namespaces import (
    is_staging_name,
    live_namespace,
    workspace_namespace,
)
from dwsim_shared.warehouses.pg_binary import BinaryCopyStream, ChunkStream, binary_plan
from dwsim_shared.warehouses.pg_catalog_views import install_catalog
from dwsim_shared.warehouses.pg_reader import (
    READER_CONNECTION_LIMIT,
    database_of,
    drop_reader,
    endpoint_role,
    grant_endpoint,
    grant_reader,
    grant_workspace,
    harden_database,
    reader_password,
    reader_role,
)
from dwsim_shared.warehouses.plans import postgres_plan

log = logging.getLogger(__name__)

COPY_READ_BYTES = 64 << 20  # larger than any encoded batch of a usual table
COPY_BATCH_ROWS = 16_384  # rows of a shard decoded, cast and encoded at a time
DEADLOCK_RETRIES = 5  # how often a staging drop that deadlocked is tried again


class _CsvStream(ChunkStream):
    """Parquet record batches rendered as CSV while COPY reads them (the path for a table with a
    column type binary COPY cannot write); `rows` counts what was rendered."""

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self.rows = 0
        super().__init__(self._render(batches))

    def _render(self, batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
        for batch in batches:
            self.rows += batch.num_rows
            sink = io.BytesIO()
            pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=False))
            yield sink.getvalue()


def libpq_url(url: str) -> str:
    """`postgresql+psycopg2://…` (SQLAlchemy) -> `postgresql://…` (libpq)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


class RedshiftMockWarehouse(Warehouse):
    name = "redshift"
    label = "Redshift mock"
    compat_engine = "postgres"  # the mock is PostgreSQL: the chain writes PostgreSQL's SQL
    sqlglot_dialect = "postgres"
    required_settings = "DWSIM_REDSHIFT_URL"
    ddl_types: ClassVar[dict[str, str]] = {
        "SMALLINT": "SMALLINT",
        "INT": "INTEGER",
        "BIGINT": "BIGINT",
        "DECIMAL": "NUMERIC",
        "FLOAT": "DOUBLE PRECISION",
        "VARCHAR": "TEXT",
        "CHAR": "CHAR",
        "DATE": "DATE",
        "TIME": "TIME",
        "TIMESTAMP": "TIMESTAMP",
        "TIMESTAMPTZ": "TIMESTAMPTZ",
        "BOOLEAN": "BOOLEAN",
        # SUPER / VARIANT / OBJECT / ARRAY / JSON hold JSON documents in the mock.
        **{name: "JSONB" for name in SEMI_STRUCTURED_TYPES},
    }

    schema_name = staticmethod(live_namespace)

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return settings.redshift_url is not None

    def _url(self) -> str:
        if not self.settings.redshift_url:
            raise DependencyUnavailable(
                "redshift warehouse", "not configured: set DWSIM_REDSHIFT_URL to a PostgreSQL URL"
            )
        return libpq_url(self.settings.redshift_url)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[psycopg2.extensions.connection]:
        """The privileged connection: loads, DDL, counts (never a user's query)."""
        try:
            conn = psycopg2.connect(
                self._url(), connect_timeout=max(1, int(self.settings.dependency_timeout_s))
            )
        except psycopg2.OperationalError as error:
            raise _connect_error(error) from error
        try:
            yield conn
        finally:
            conn.close()

    def check(self) -> None:
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")

    def physical_table(self, experiment_name: str, table_name: str) -> exp.Table:
        return exp.table_(
            exp.to_identifier(table_name.lower(), quoted=True),
            db=exp.to_identifier(self.schema_name(experiment_name), quoted=True),
        )

    def _ledger(self, experiment_name: str) -> pgsql.Composed:
        return pgsql.SQL("{}.{}").format(
            pgsql.Identifier(self.schema_name(experiment_name)), pgsql.Identifier(self.LEDGER_TABLE)
        )

    def prepare(self, experiment: Experiment) -> None:
        schema = pgsql.Identifier(self.schema_name(experiment.name))
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            cur.execute(pgsql.SQL("CREATE SCHEMA {}").format(schema))
            for table in experiment.tables:
                cur.execute(self.create_table_sql(experiment, table))
            cur.execute(
                pgsql.SQL(
                    "CREATE TABLE {} (run_id BIGINT, table_name TEXT, shard_index INTEGER, "
                    "rows BIGINT, loaded_at TIMESTAMPTZ DEFAULT now(), "
                    "PRIMARY KEY (run_id, table_name, shard_index))"
                ).format(self._ledger(experiment.name))
            )
            harden_database(conn)
            if not is_staging_name(experiment.name):  # a run's staging gets its reader at publish
                self._grant(conn, experiment.name)
            compat_pack.install_compat(cur)
            conn.commit()

    def load_shard(self, experiment: Experiment, table: Table, parquet: Path, ref: ShardRef) -> int:
        target = self.physical_table(experiment.name, table.name).sql(dialect="postgres")
        columns = ", ".join(f'"{c.name.lower()}"' for c in table.columns)
        ledger = self._ledger(experiment.name)
        with self._connect() as conn, conn.cursor() as cur:
            # The ledger row is claimed first: a concurrent duplicate waits on its key, then skips.
            cur.execute(
                pgsql.SQL(
                    "INSERT INTO {} (run_id, table_name, shard_index, rows) VALUES (%s, %s, %s, 0) "
                    "ON CONFLICT DO NOTHING"
                ).format(ledger),
                (ref.run_id, ref.table, ref.shard_index),
            )
            if cur.rowcount == 0:
                conn.rollback()
                cur.execute(
                    pgsql.SQL(
                        "SELECT rows FROM {} WHERE run_id = %s AND table_name = %s AND shard_index = %s"
                    ).format(ledger),
                    (ref.run_id, ref.table, ref.shard_index),
                )
                row = cur.fetchone()
                return int(row[0]) if row else 0
            shard = pq.ParquetFile(parquet)
            # Decoded on the encoder's one thread (use_threads=False): Arrow's pool decoding
            # the columns in parallel only competed with the server's ingest for the cores.
            # Batches of 16k rows: the server starts on the first one sooner (it waited 36-46
            # ms for a first batch of 64k rows, 22-27 ms for 16k), four of them ahead.
            batches = shard.iter_batches(batch_size=COPY_BATCH_ROWS, use_threads=False)
            plan = binary_plan(self._column_types(cur, target, table), shard.schema_arrow)
            stream: BinaryCopyStream | _CsvStream
            if plan is not None:
                stream, copy_format = BinaryCopyStream(plan, batches, ahead=4), "binary"
            else:
                stream, copy_format = _CsvStream(batches), "csv"
            with contextlib.closing(stream):
                # Each read takes a whole encoded batch (a few MiB), handed to libpq uncopied.
                cur.copy_expert(
                    f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT {copy_format})",
                    stream,
                    size=COPY_READ_BYTES,
                )
            cur.execute(
                pgsql.SQL(
                    "UPDATE {} SET rows = %s WHERE run_id = %s AND table_name = %s AND shard_index = %s"
                ).format(ledger),
                (stream.rows, ref.run_id, ref.table, ref.shard_index),
            )
            conn.commit()
            return stream.rows

    @staticmethod
    def _column_types(cur: Any, target: str, table: Table) -> list[tuple[str, str]]:
        """`(name, format_type)` of the target's columns, in the order of the table's columns."""
        cur.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (target,),
        )
        spelled = dict(cur.fetchall())
        names = [c.name.lower() for c in table.columns]
        return [(name, spelled.get(name, "")) for name in names]

    def count_rows(self, experiment: Experiment, table: Table) -> int:
        target = self.physical_table(experiment.name, table.name).sql(dialect="postgres")
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {target}")
            row = cur.fetchone()
            return int(row[0]) if row else 0

    def drop(self, experiment_name: str) -> None:
        with self._connect() as conn, conn.cursor() as cur:
            schema = pgsql.Identifier(self.schema_name(experiment_name))
            cur.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            if not is_staging_name(experiment_name):
                workspace = pgsql.Identifier(workspace_namespace(experiment_name))
                cur.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(workspace))
            drop_reader(conn, self.schema_name(experiment_name))
            conn.commit()

    def _grant(self, conn: psycopg2.extensions.connection, experiment_name: str) -> None:
        """The reader role of the live schema, and its workspace."""
        role = grant_reader(
            conn, self._url(), self.schema_name(experiment_name), [self.LEDGER_TABLE]
        )
        grant_workspace(conn, role, workspace_namespace(experiment_name))
        grant_endpoint(
            conn, self._url(), self.schema_name(experiment_name),
            self.settings.redshift_endpoint_max_sessions,
        )  # fmt: skip

    # The workspace (issue 17): the user's own tables and views beside the generated ones,
    # written through the endpoint as the experiment's role; runs, reset and load leave it.
    def workspace_objects(self, experiment_name: str) -> dict[str, dict[str, str]]:
        """The workspace's tables and views: {name: {column: type}} (PostgreSQL's type names)."""
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
                "AND NOT a.attisdropped "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p', 'f') "
                "ORDER BY c.relname, a.attnum",
                (workspace_namespace(experiment_name),),
            )
            found: dict[str, dict[str, str]] = {}
            for table, column, kind in cur.fetchall():
                columns = found.setdefault(table, {})
                if column is not None:
                    columns[column] = kind
            return found

    def workspace_bytes(self, experiment_name: str) -> int:
        """What the workspace's tables hold on disk (indexes and TOAST included). A table that
        an open transaction holds locked (a TRUNCATE, a DROP) counts its last known size: the
        reading never waits for the user's own session."""
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute("SET lock_timeout = '100ms'")
            cur.execute(
                "SELECT c.oid, c.relpages::bigint * 8192 FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'm', 'p')",
                (workspace_namespace(experiment_name),),
            )
            total = 0
            for oid, known in cur.fetchall():
                cur.execute("SAVEPOINT size")
                try:
                    cur.execute("SELECT pg_total_relation_size(%s)", (oid,))
                    row = cur.fetchone()
                    total += int(row[0]) if row and row[0] is not None else 0
                    cur.execute("RELEASE SAVEPOINT size")
                except psycopg2.errors.LockNotAvailable:
                    cur.execute("ROLLBACK TO SAVEPOINT size")
                    total += int(known)
            conn.rollback()
            return total

    def clear_workspace(self, experiment_name: str) -> bool:
        """Drop everything in the workspace (it stays, empty); False when there was none."""
        workspace = workspace_namespace(experiment_name)
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (workspace,))
            if cur.fetchone() is None:
                return False
            cur.execute(pgsql.SQL("DROP SCHEMA {} CASCADE").format(pgsql.Identifier(workspace)))
            cur.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s",
                (self.schema_name(experiment_name),),
            )
            if cur.fetchone() is not None:
                self._grant(conn, experiment_name)
            conn.commit()
        return True

    @staticmethod
    def _workspace_views(cur: Any, experiment_name: str) -> list[tuple[str, str, str]]:
        cur.execute(
            "SELECT c.relname, pg_get_viewdef(c.oid), pg_get_userbyid(c.relowner) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'v' ORDER BY c.oid",
            (workspace_namespace(experiment_name),),
        )
        return [(r[0], r[1], r[2]) for r in cur.fetchall()]

    @staticmethod
    def _restore_views(
        conn: psycopg2.extensions.connection,
        experiment_name: str,
        views: list[tuple[str, str, str]],
    ) -> None:
        """Create again the workspace views that replacing the live schema dropped (they read
        its tables): the user's views outlive a run, as their tables do. A view the new
        tables cannot carry (a column gone) is logged and left out."""
        workspace = workspace_namespace(experiment_name)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind = 'v'",
                (workspace,),
            )
            present = {r[0] for r in cur.fetchall()}
            missing = [v for v in views if v[0] not in present]
            while missing:  # a view on a view comes back once the one it reads is back
                failed = []
                for name, definition, owner in missing:
                    cur.execute("SAVEPOINT dwsim_view")
                    try:
                        cur.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(owner)))
                        cur.execute(
                            pgsql.SQL("CREATE VIEW {} AS ").format(
                                pgsql.Identifier(workspace, name)
                            )
                            + pgsql.SQL(definition)
                        )
                        cur.execute("RESET ROLE")
                        cur.execute("RELEASE SAVEPOINT dwsim_view")
                    except psycopg2.Error as error:
                        cur.execute("ROLLBACK TO SAVEPOINT dwsim_view")
                        failed.append((name, definition, owner, str(error).strip()))
                if len(failed) == len(missing):
                    for name, _, _, why in failed:
                        log.warning(
                            "workspace view %s of %s not restored: %s", name, experiment_name, why
                        )
                    break
                missing = [(n, d, o) for n, d, o, _ in failed]

    def reader_login(self, experiment_name: str) -> dict[str, str]:
        """How to log in as the experiment's reader role: the privileged URL's server and
        database with the role's name and password (libpq keywords)."""
        url = self._url()
        role = reader_role(database_of(url), self.schema_name(experiment_name))
        return {"url": url, "user": role, "password": reader_password(url, role)}

    def endpoint_login(self, experiment_name: str) -> dict[str, str]:
        """How the Redshift endpoint logs in for the experiment: its own login role (the
        endpoint's connection limit), then runs as `role`, the experiment's reader."""
        login = self.reader_login(experiment_name)
        user = endpoint_role(login["user"])
        return {**login, "user": user, "password": reader_password(login["url"], user),
                "role": login["user"]}  # fmt: skip

    def ensure_reader(self, experiment_name: str) -> None:
        """Create (or refresh) the experiment's reader role; `NotFound` when it has no data."""
        schema = self.schema_name(experiment_name)
        with self._connect() as admin, admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
            if cur.fetchone() is None:
                raise NotFound(
                    f"experiment {experiment_name!r} has no data in the redshift warehouse yet; "
                    "generate a run first"
                )
            harden_database(admin)
            self._grant(admin, experiment_name)
            compat_pack.install_compat(cur)  # data loaded before the pack existed
            install_catalog(cur)
            admin.commit()

    def _reader_connection(self, experiment_name: str) -> psycopg2.extensions.connection:
        """A connection as the experiment's reader role; the role is created on first use for
        data loaded before readers existed."""
        login = self.reader_login(experiment_name)
        url = login.pop("url")
        timeout = max(1, int(self.settings.dependency_timeout_s))
        try:
            return _json_as_text(psycopg2.connect(url, connect_timeout=timeout, **login))
        except psycopg2.OperationalError as error:
            if _at_a_limit(error):
                raise _connect_error(error, experiment_name) from error
            # else no such role yet, or the server is down: the privileged connection tells
        self.ensure_reader(experiment_name)
        try:
            return _json_as_text(psycopg2.connect(url, connect_timeout=timeout, **login))
        except psycopg2.OperationalError as error:
            raise _connect_error(error, experiment_name) from error

    @contextlib.contextmanager
    def _reader_session(self, experiment_name: str) -> Iterator[psycopg2.extensions.connection]:
        if self._kept is None:
            with contextlib.closing(self._reader_connection(experiment_name)) as conn:
                yield conn
            return
        kept = self._kept.get(experiment_name)
        if kept is None or kept.closed:
            kept = self._kept[experiment_name] = self._reader_connection(experiment_name)
        yield kept  # the caller rolls back: SET and the transaction end with the statement

    @contextlib.contextmanager
    def kept_sessions(self) -> Iterator[None]:
        """Within the block, queries on one experiment share one reader connection instead of
        logging in each time (for tests that run hundreds of statements)."""
        self._kept = {}
        try:
            yield
        finally:
            kept, self._kept = self._kept, None
            for conn in kept.values():
                conn.close()

    def publish(self, experiment: Experiment, run_id: int) -> bool:
        """Drop the live schema and rename the run's schema into its place, in one transaction:
        a reader sees the old tables or the new ones, never none."""
        staging = self.schema_name(staging_name(experiment.name, run_id))
        live = pgsql.Identifier(self.schema_name(experiment.name))
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (staging,))
            if cur.fetchone() is None:
                return False
            views = self._workspace_views(cur, experiment.name)
            cur.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(live))
            cur.execute(
                pgsql.SQL("ALTER SCHEMA {} RENAME TO {}").format(pgsql.Identifier(staging), live)
            )
            # Privileges belong to the schema object: the renamed one has no reader grants yet.
            self._grant(conn, experiment.name)
            self._restore_views(conn, experiment.name, views)
            conn.commit()
        return True

    def drop_staging(self, experiment_name: str, run_ids: Sequence[int]) -> None:
        with self._connect() as conn, conn.cursor() as cur:
            for run_id in run_ids:
                schema = pgsql.Identifier(self.schema_name(staging_name(experiment_name, run_id)))
                drop = pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema)
                # A loader still writing one of its tables locks them in another order than
                # the drop: PostgreSQL breaks the deadlock by failing one side, and the drop
                # is simply tried again (the loader's failed COPY is retried by its task).
                for attempt in range(DEADLOCK_RETRIES + 1):
                    try:
                        cur.execute(drop)
                        conn.commit()
                        break
                    except psycopg2.errors.DeadlockDetected:
                        conn.rollback()
                        if attempt == DEADLOCK_RETRIES:
                            raise

    def reset(self, experiment: Experiment) -> list[str]:
        schema = self.schema_name(experiment.name)
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
            present = {r[0] for r in cur.fetchall()}
            emptied = [t.name.lower() for t in experiment.tables if t.name.lower() in present]
            if emptied:
                cur.execute(
                    pgsql.SQL("TRUNCATE {}").format(
                        pgsql.SQL(", ").join(pgsql.Identifier(schema, t) for t in emptied)
                    )
                )
            conn.commit()
        return emptied

    @contextlib.contextmanager
    def query_cursor(
        self, experiment_name: str, sql: str, *, timeout_s: float, answer_bytes: int | None = None
    ) -> Iterator[QueryCursor]:
        with self._reader_session(experiment_name) as conn:
            conn.set_session(readonly=True)
            try:
                with conn.cursor() as setup:
                    setup.execute("SET statement_timeout = %s", (int(timeout_s * 1000),))
                    setup.execute(compat_pack.SEARCH_PATH)
                # A server-side cursor: a large result streams instead of filling memory.
                with conn.cursor(name="dwsim_query") as cur:
                    cur.itersize = 10_000
                    cur.execute(_rows_within(sql, self.settings.query_value_max_bytes))
                    yield _NamedCursor(cur)
            except psycopg2.errors.InvalidTextRepresentation as error:
                if too_large := value_too_large("redshift mock", _pg_message(error)):
                    raise too_large from error  # a value-limit check of the query service
                if ROW_TOO_LARGE not in str(error):
                    raise BadRequest(
                        f"redshift mock: {_pg_message(error)}", engine_sql=sql
                    ) from error
                limit = self.settings.query_value_max_bytes
                raise QueryTooLarge(
                    f"redshift mock: a row of this query's answer is larger than the limit of "
                    f"{limit:,} bytes per value (DWSIM_QUERY_VALUE_MAX_BYTES)",
                    limit="DWSIM_QUERY_VALUE_MAX_BYTES",
                ) from error
            except psycopg2.errors.QueryCanceled as error:
                raise QueryTimeout(f"query ran longer than {timeout_s:g} s") from error
            except psycopg2.Error as error:
                message = (
                    _pg_message(error)
                    .replace(f'"{workspace_namespace(experiment_name)}"', "workspace")
                    .replace(workspace_namespace(experiment_name), "workspace")
                )
                raise BadRequest(f"redshift mock: {message}", engine_sql=sql) from error
            finally:
                conn.rollback()

    def explain(self, experiment_name: str, sql: str, *, timeout_s: float) -> list[dict[str, Any]]:
        """`EXPLAIN (FORMAT JSON)` (never ANALYZE: nothing runs) as the experiment's reader,
        read-only, with the query's time limit."""
        with contextlib.closing(self._reader_connection(experiment_name)) as conn:
            conn.set_session(readonly=True)
            try:
                with conn.cursor() as cur:
                    cur.execute("SET statement_timeout = %s", (int(timeout_s * 1000),))
                    cur.execute(compat_pack.SEARCH_PATH)
                    cur.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                    row = cur.fetchone()
            except psycopg2.errors.QueryCanceled as error:
                raise QueryTimeout(f"EXPLAIN ran longer than {timeout_s:g} s") from error
            except psycopg2.Error as error:
                raise BadRequest(f"redshift mock: {_pg_message(error)}", engine_sql=sql) from error
            finally:
                conn.rollback()
        return postgres_plan(row[0] if row else [])


ROLE_LIMIT = "too many connections for role"


def _json_as_text(conn: psycopg2.extensions.connection) -> psycopg2.extensions.connection:
    """JSON and JSONB answered as the JSON text the warehouse prints, not decoded: a string
    value keeps its quotes ('"z"'), as SUPER and VARIANT values do, and without the blanks
    PostgreSQL puts after `,` and `:` (Redshift prints SUPER compact: `[1,"abc",true]`)."""
    psycopg2.extras.register_default_json(conn, loads=compact_json)
    psycopg2.extras.register_default_jsonb(conn, loads=compact_json)
    return conn


def compact_json(text: str | None) -> str | None:
    """JSON text without whitespace outside strings; numbers and strings kept byte for byte
    (nothing is parsed, so `1.10` stays `1.10`)."""
    if text is None:
        return None
    out: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif char not in " \t\n\r":
            out.append(char)
    return "".join(out)


def _at_a_limit(error: psycopg2.OperationalError) -> bool:
    text = str(error)
    return ROLE_LIMIT in text or any(limit in text for limit in POSTGRES_SERVER_FULL)


def _connect_error(
    error: psycopg2.OperationalError, experiment_name: str | None = None
) -> DependencyUnavailable | TooManyRequests:
    """A refused connection: the experiment's own limit (429), the server's (503 busy), or
    the server unreachable (503 unavailable)."""
    text = str(error).strip()
    if ROLE_LIMIT in text and experiment_name is not None:
        return TooManyRequests(
            f"too many concurrent queries on experiment {experiment_name!r} (the redshift "
            f"warehouse runs at most {READER_CONNECTION_LIMIT} at once); retry in 1 s",
            experiment=experiment_name,
        )
    if any(limit in text for limit in POSTGRES_SERVER_FULL):
        return Busy("redshift warehouse", "every connection of the server is in use")
    return DependencyUnavailable("redshift warehouse", text)


def _pg_message(error: psycopg2.Error) -> str:
    return (error.pgerror or str(error)).strip()


# A row larger than the value limit fails the statement on the server, before it is sent: its
# size (the length of the row as text: pg_column_size is revoked from readers) is cast to an
# integer inside a text that names this marker, and the cast's error is recognised by it. Not a
# constant, so the planner cannot fold (and fail) it; the subquery keeps its ORDER BY
# (PostgreSQL never pulls up a sorted subquery).
ROW_TOO_LARGE = "dwsim row too large"


def _rows_within(sql: str, limit: int) -> str:
    return (
        f"SELECT dwsim_q.* FROM ({sql}\n) AS dwsim_q WHERE CASE WHEN "
        f"octet_length(dwsim_q::text) > {int(limit)} THEN "
        f"('{ROW_TOO_LARGE}: ' || octet_length(dwsim_q::text))::integer > 0 ELSE true END"
    )


class _NamedCursor(DBAPICursor):
    """A server-side cursor knows its columns only after the first fetch."""

    def __init__(self, cursor: Any) -> None:
        super().__init__(cursor)
        self._first = cursor.fetchmany(1)

    @property
    def columns(self) -> list[str]:
        return [d[0] for d in self.cursor.description or []]

    def fetch(self, count: int) -> list[Any]:
        rows, self._first = self._first, []
        if count > len(rows):
            rows = rows + list(self.cursor.fetchmany(count - len(rows)))
        return rows
