"""SQLite warehouse (embedded default): one database file per experiment."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite

from dwsim_shared.compat_packs.sqlite import register_compat, reporting, take_failure
from dwsim_shared.errors import (
    BadRequest,
    DependencyUnavailable,
    NotFound,
    QueryTimeout,
    QueryTooLarge,
)
from dwsim_shared.experiment import SEMI_STRUCTURED_TYPES, Experiment, Table
from dwsim_shared.threads import periodically
from dwsim_shared.warehouses.base import (
    DBAPICursor,
    QueryCursor,
    ShardRef,
    Warehouse,
    staging_name,
    value_too_large,
)
from dwsim_shared.warehouses.namespaces import checked_experiment_name
from dwsim_shared.warehouses.plans import sqlite_plan
from dwsim_shared.warehouses.sqlite_guard import (
    bounded_printf,
    construct_value_tables,
    read_only_authorizer,
    readable_tables,
    too_long_message,
)

CACHE_KIB = 16 * 1024  # a query connection's page cache (SQLite's default is 2 MiB)
BATCH_ROWS = 100_000  # rows of a shard read, cast and bound at a time
# A shard of at least this many rows in two row groups or more is loaded in two parts at once
# (the second into a private file, appended at the end): see `SQLiteWarehouse._insert_shard`.
SPLIT_MIN_ROWS = 200_000
PART_SCHEMA = "dwsim_part"  # the private file's name while it is attached to the staging file
T = TypeVar("T")


def _value_too_large(message: str) -> None:
    raise ValueError(message)


def _stored_column(column: pa.Array) -> pa.Array:
    """An Arrow column as the values SQLite stores natively (text dates, 0/1 booleans), cast in
    Arrow (vectorised): what the loader writes, and what Python's sqlite3 would have bound."""
    if pa.types.is_date(column.type):
        return column.cast(pa.string())  # ISO dates
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        naive = column.cast(pa.timestamp("s"), safe=False)
        return pc.binary_join_element_wise(naive.cast(pa.string()), "+00:00", "")
    if pa.types.is_time(column.type):
        return column.cast(pa.time32("s"), safe=False).cast(pa.string())
    if pa.types.is_decimal(column.type):
        return column.cast(pa.float64())  # stored as REAL; the compat pack sums them exactly
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.timestamp("s"), safe=False).cast(pa.string())
    if pa.types.is_boolean(column.type):
        return column.cast(pa.int8())
    return column


def _stored_batch(batch: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([_stored_column(c) for c in batch.columns], names=names)


def rows_per_insert(columns: int) -> int:
    """Table rows per INSERT statement of a load: a statement's fixed cost (opening the table,
    finding its end, closing it) shared by several rows, up to about 256 values (measured on
    orders_wide in docs/decisions.md, h20sqlite: 16 rows of 10 values were the fastest)."""
    return max(1, min(16, 256 // max(1, columns)))


def _insert_batches(
    batch: pa.RecordBatch, names: list[str], per: int
) -> tuple[pa.RecordBatch | None, pa.RecordBatch | None]:
    """A Parquet batch as the parameters of the loader's two statements: (rows of `per` table
    rows each, for the multi-row INSERT; the rows left over, for the one-row INSERT), both in
    the shard's order. Row i of the first holds the table rows i*per .. i*per+per-1, column
    after column: one `take` puts each block of `per` values in place, the rest are slices."""
    whole = batch.num_rows - batch.num_rows % per if per > 1 else 0
    rest = _stored_batch(batch.slice(whole), names) if whole < batch.num_rows else None
    if not whole:
        return None, rest
    groups = whole // per
    order = np.arange(whole, dtype=np.int64).reshape(groups, per).T.ravel()
    taken = _stored_batch(batch.slice(0, whole).take(pa.array(order)), names)
    arrays = [c.slice(k * groups, groups) for k in range(per) for c in taken.columns]
    return pa.RecordBatch.from_arrays(arrays, names=[f"p{i}" for i in range(len(arrays))]), rest


def _prefetched(pool: ThreadPoolExecutor, make: Callable[[], T | None]) -> Iterator[T]:
    """What `make` returns until it returns None, each made on the pool's thread while the
    caller works on the one before (Arrow's decoding and casts release the GIL)."""
    pending = pool.submit(make)
    while (item := pending.result()) is not None:
        pending = pool.submit(make)
        yield item


def _open_descriptor(path: Path) -> int | None:
    """A descriptor this process already has open on `path` (the bulk connection's), from
    /proc/self/fd; None where there is no /proc (then nothing is written out early). Never one
    opened here: closing any descriptor of a database file drops this process's SQLite locks
    on it, another loader could then write into our transaction."""
    target = os.path.realpath(path)
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for name in names:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{name}") == target:
                return int(name)
    return None


def _write_out(descriptor: int) -> None:
    """fsync the pages written so far, off the loading thread. A descriptor closed meanwhile
    (or its number reused) costs at most a needless fsync: never a wrong row."""
    with contextlib.suppress(OSError):
        os.fsync(descriptor)


@contextlib.contextmanager
def _written_out_meanwhile(path: Path, every_s: float = 0.05) -> Iterator[None]:
    """fsync, every `every_s` on a thread of its own while the block runs, the pages the bulk
    connection has written to `path` so far: the commit (synchronous=FULL, unchanged) then
    finds almost nothing left to wait for. Nothing without /proc (see `_open_descriptor`)."""
    descriptor = _open_descriptor(path)
    if descriptor is None:
        yield
        return
    with periodically(every_s, lambda: _write_out(descriptor), name="sqlite-fsync", at_once=True):
        yield


@dataclass(frozen=True)
class _Inserts:
    """A table's two INSERT statements of a load: `per` rows each, and one row."""

    names: list[str]
    per: int
    many: str
    one: str

    @classmethod
    def of(cls, table: Table, target: str) -> _Inserts:
        names = [c.name.lower() for c in table.columns]
        columns = ", ".join(exp.to_identifier(n, quoted=True).sql("sqlite") for n in names)
        row = "(" + ", ".join("?" for _ in names) + ")"
        per = rows_per_insert(len(names))
        sql = f"INSERT INTO {target} ({columns}) VALUES "
        return cls(names, per, sql + ", ".join([row] * per), sql + row)


def _bind_rows(
    conn: Any,
    parquet: Path,
    row_groups: list[int] | None,
    inserts: _Inserts,
    check: Callable[[], object] = lambda: None,
) -> int:
    """The rows of `row_groups` (None: all) of a shard, in order, inserted through `conn`
    inside its transaction: prepared INSERTs of several rows each, their parameters bound
    from Arrow arrays in C (no Python object per value), the next batch read, cast and laid
    out on another thread meanwhile. `check` runs before each batch (it raises to stop)."""
    batches = pq.ParquetFile(parquet).iter_batches(batch_size=BATCH_ROWS, row_groups=row_groups)

    def next_batch() -> tuple[pa.RecordBatch | None, pa.RecordBatch | None] | None:
        batch = next(batches, None)
        return None if batch is None else _insert_batches(batch, inserts.names, inserts.per)

    rows = 0
    with (
        conn.cursor() as many,
        conn.cursor() as single,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-read") as pool,
    ):
        for grouped, rest in _prefetched(pool, next_batch):
            check()
            if grouped is not None:
                many.executemany(inserts.many, grouped)
                rows += grouped.num_rows * inserts.per
            if rest is not None:
                single.executemany(inserts.one, rest)
                rows += rest.num_rows
    return rows


def _raise_if_set(stop: threading.Event) -> None:
    if stop.is_set():
        raise RuntimeError("the load of this shard failed meanwhile")


def _load_private(
    file: Path,
    create: str,
    parquet: Path,
    row_groups: list[int],
    inserts: _Inserts,
    stop: threading.Event,
) -> int:
    """The rows of `row_groups` into a new SQLite file of one table (`create`) that no one
    else opens: no journal, no fsync (a failure or a crash leaves only a file to delete)."""
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    conn = adbc_sqlite.connect(f"{file.as_uri()}?mode=rwc", autocommit=True)
    try:
        with conn.cursor() as cur:
            for pragma in ("journal_mode = OFF", "synchronous = OFF"):
                cur.execute(f"PRAGMA {pragma}")
                cur.fetchall()
            cur.execute(create)
            cur.execute("BEGIN")
            rows = _bind_rows(conn, parquet, row_groups, inserts, lambda: _raise_if_set(stop))
            cur.execute("COMMIT")
        return rows
    finally:
        conn.close()


def _usable_cpus() -> int:
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _split_point(parquet: pq.ParquetFile) -> int:
    """The row group where the private part of a shard starts: the one that halves its rows
    best; 0 (no split) for a shard too small or in one row group, or on one CPU (where the
    split is only more work: the copy of the private part)."""
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    total = sum(sizes)
    if len(sizes) < 2 or total < SPLIT_MIN_ROWS or _usable_cpus() < 2:
        return 0
    starts = np.cumsum(sizes[:-1])
    return int(np.argmin(np.abs(starts - total / 2))) + 1


@contextlib.contextmanager
def _private_folder(beside: Path) -> Iterator[Callable[[], Path]]:
    """A function giving the path of a private SQLite file in a new folder beside `beside`
    (made on the first call), and the folder removed when the block ends, however it ends. A
    folder left by a killed process is never reused (each name is new) and goes with `drop`."""
    made: list[Path] = []

    def private_file() -> Path:
        if not made:
            made.append(Path(tempfile.mkdtemp(prefix=f"{beside.name}.part-", dir=beside.parent)))
        return made[0] / "part.sqlite"

    try:
        yield private_file
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)


def _remove_private_folders(path: Path) -> None:
    """The private folders a killed loader left beside the file `path`."""
    for folder in path.parent.glob(f"{path.name}.part-*"):
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _bulk_connection(path: Path) -> Iterator[Any]:
    """An ADBC SQLite connection (bulk ingest of Arrow batches in C, in one transaction) to an
    existing file; its errors are raised as the sqlite3 module's, which the rest of the loader
    (retries of a locked file, the ledger's messages) already knows."""
    import adbc_driver_manager
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    try:
        try:
            conn = adbc_sqlite.connect(f"{path.as_uri()}?mode=rw")
        except adbc_driver_manager.Error as error:
            if not path.exists():  # the driver's own message for a missing file is misleading
                raise NotFound(
                    "this run's staging copy in the warehouse is gone (the run was cancelled, "
                    "published, reset or deleted meanwhile); generate or load again"
                ) from None
            raise DependencyUnavailable("sqlite warehouse", f"{path}: {error}") from error
        try:
            yield conn
        finally:
            conn.close()
    except adbc_driver_manager.IntegrityError as error:
        raise sqlite3.IntegrityError(_adbc_message(error)) from error
    except adbc_driver_manager.Error as error:
        raise sqlite3.OperationalError(_adbc_message(error)) from error


def _adbc_message(error: BaseException) -> str:
    """The engine's sentence, without the driver's status prefix or the statement it echoes."""
    text = str(error).split("\nquery:")[0].strip()
    return text.split("] ", 1)[-1] if text.startswith(("INVALID", "IO:", "INTERNAL")) else text


class StrictSQLite(SQLite):
    """SQLite written with identifiers in backticks (registered in sqlglot as `strictsqlite`).

    SQLite reads an unknown double-quoted name as a string literal, so a misspelled
    `"colum"` would quietly return text instead of failing; a backticked one fails.
    """

    class Tokenizer(SQLite.Tokenizer):
        IDENTIFIERS: ClassVar[list[str | tuple[str, str]]] = ["`", '"', ("[", "]")]


class SQLiteWarehouse(Warehouse):
    name = "sqlite"
    label = "SQLite"
    compat_engine = "sqlite"
    sqlglot_dialect = "strictsqlite"
    ddl_dialect = "postgres"  # SQLite stores declared types verbatim: keep the user's spelling
    ddl_types: ClassVar[dict[str, str]] = {
        "SMALLINT": "SMALLINT",
        "INT": "INTEGER",
        "BIGINT": "BIGINT",
        "DECIMAL": "DECIMAL",
        "FLOAT": "DOUBLE PRECISION",
        "VARCHAR": "TEXT",
        "CHAR": "CHAR",
        "DATE": "DATE",
        "TIME": "TIME",
        "TIMESTAMP": "TIMESTAMP",
        "TIMESTAMPTZ": "TIMESTAMPTZ",
        "BOOLEAN": "BOOLEAN",
        **{name: "TEXT" for name in SEMI_STRUCTURED_TYPES},
    }

    def path(self, experiment_name: str) -> Path:
        return (
            self.settings.sqlite_warehouse_dir
            / f"{checked_experiment_name(experiment_name)}.sqlite"
        )

    @contextlib.contextmanager
    def _connect(
        self, experiment_name: str, *, read_only: bool = False, create: bool = False
    ) -> Iterator[sqlite3.Connection]:
        """`create` only where a file is made (prepare): a load into a staging file that was
        dropped (its run cancelled) must fail, not leave a new empty file behind."""
        path = self.path(experiment_name)
        try:
            if read_only:
                if not path.exists():
                    raise NotFound(
                        f"experiment {experiment_name!r} has no data in the sqlite warehouse yet; "
                        "generate a run first"
                    )
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            elif not create:
                if not path.exists():
                    raise NotFound(
                        "this run's staging copy in the warehouse is gone (the run was "
                        "cancelled, published, reset or deleted meanwhile); generate or load again"
                    )
                conn = sqlite3.connect(
                    f"{path.as_uri()}?mode=rw", uri=True, timeout=60, isolation_level=None
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                # Rollback journal, not WAL: a published file is swapped in by a rename, and a
                # WAL file left beside it would be replayed into the new file.
                conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        except sqlite3.OperationalError as error:
            raise DependencyUnavailable("sqlite warehouse", f"{path}: {error}") from error
        register_compat(conn)
        try:
            yield conn
        finally:
            conn.close()

    def check(self) -> None:
        folder = self.settings.sqlite_warehouse_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DependencyUnavailable("sqlite warehouse", str(error)) from error

    def physical_table(self, experiment_name: str, table_name: str) -> exp.Table:
        return exp.table_(exp.to_identifier(table_name.lower(), quoted=True))

    def prepare(self, experiment: Experiment) -> None:
        with self._connect(experiment.name, create=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            existing = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            for name in existing:
                conn.execute(f'DROP TABLE "{name}"')
            for table in experiment.tables:
                conn.execute(self.create_table_sql(experiment, table))
            conn.execute(
                f"CREATE TABLE {self.LEDGER_TABLE} (run_id INTEGER, table_name TEXT, "
                "shard_index INTEGER, rows INTEGER, PRIMARY KEY (run_id, table_name, shard_index))"
            )
            conn.execute("COMMIT")

    def load_shard(self, experiment: Experiment, table: Table, parquet: Path, ref: ShardRef) -> int:
        path = self.path(experiment.name)
        if not path.exists():
            raise NotFound(
                "this run's staging copy in the warehouse is gone (the run was cancelled, "
                "published, reset or deleted meanwhile); generate or load again"
            )
        # One transaction (the driver's, autocommit off): the ledger claim, every row, the count.
        # The private file's folder outlives the connection (which may still have it attached).
        with (
            _private_folder(path) as private_file,
            _bulk_connection(path) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("PRAGMA busy_timeout = 60000")  # wait for another loader's shard
            try:
                cur.execute(
                    f"INSERT OR IGNORE INTO {self.LEDGER_TABLE} VALUES (?, ?, ?, 0)",
                    (ref.run_id, ref.table, ref.shard_index),
                )
            except Exception as error:
                if "no such table" not in str(error):
                    raise
                # The ledger is made with the staging copy: without it the copy is gone
                # (published, reset or deleted meanwhile); the internal name means nothing.
                raise NotFound(
                    "this run's staging copy in the warehouse is gone (published, reset "
                    "or deleted meanwhile); generate or load again"
                ) from None
            cur.execute("SELECT changes()")
            if not cur.fetchone()[0]:  # loaded before: a redelivered task is a no-op
                conn.rollback()
                cur.execute(
                    f"SELECT rows FROM {self.LEDGER_TABLE} WHERE run_id = ? AND table_name = ? "
                    "AND shard_index = ?",
                    (ref.run_id, ref.table, ref.shard_index),
                )
                row = cur.fetchone()
                return int(row[0]) if row else 0
            with _written_out_meanwhile(path):
                rows = self._insert_shard(conn, table, parquet, private_file)
            cur.execute(
                f"UPDATE {self.LEDGER_TABLE} SET rows = ? WHERE run_id = ? AND table_name = ? "
                "AND shard_index = ?",
                (rows, ref.run_id, ref.table, ref.shard_index),
            )
            conn.commit()
            return rows

    def _insert_shard(
        self, conn: Any, table: Table, parquet: Path, private_file: Callable[[], Path]
    ) -> int:
        """Every row of the shard, in its order, inside the caller's transaction. A large shard
        goes in two parts at once (SQLite's binding releases the GIL): its first row groups
        through `conn`, the others into a private file on another thread (its own
        connection); that part is then appended with one `INSERT ... SELECT`, which SQLite
        copies record by record without decoding them, in the part's rowid order."""
        name = table.name.lower()
        target = exp.to_identifier(name, quoted=True).sql("sqlite")
        inserts = _Inserts.of(table, target)
        source = pq.ParquetFile(parquet)
        split = _split_point(source)
        if not split:
            return _bind_rows(conn, parquet, None, inserts)
        groups = list(range(source.num_row_groups))
        with conn.cursor() as cur:
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
            (create,) = cur.fetchone()
            file, stop = private_file(), threading.Event()
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-part") as helper:
                try:
                    part: Future[int] = helper.submit(
                        _load_private, file, create, parquet, groups[split:], inserts, stop
                    )
                    # Each part stops at its next batch when the other one failed (the
                    # private part's own error is the one raised here).
                    rows = _bind_rows(
                        conn,
                        parquet,
                        groups[:split],
                        inserts,
                        lambda: part.done() and part.result(),
                    )
                    rows += part.result()
                finally:
                    stop.set()
            # ATTACH inside a transaction is allowed (DETACH is not: the connection's close
            # lets the file go, before its folder is removed).
            cur.execute(f"ATTACH DATABASE ? AS {PART_SCHEMA}", (str(file),))
            cur.execute(f"INSERT INTO main.{target} SELECT * FROM {PART_SCHEMA}.{target}")
            cur.execute("SELECT changes()")
            appended = cur.fetchone()[0]
        if appended != part.result():
            raise sqlite3.OperationalError(
                f"the private part of the shard held {part.result():,} rows, {appended:,} copied"
            )
        return rows

    def _ledger_rows(self, conn: sqlite3.Connection, ref: ShardRef) -> int:
        row = conn.execute(
            f"SELECT rows FROM {self.LEDGER_TABLE} WHERE run_id = ? AND table_name = ? "
            "AND shard_index = ?",
            (ref.run_id, ref.table, ref.shard_index),
        ).fetchone()
        return int(row[0]) if row else 0

    def count_rows(self, experiment: Experiment, table: Table) -> int:
        physical = self.physical_table(experiment.name, table.name).sql(dialect="sqlite")
        with self._connect(experiment.name, read_only=True) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {physical}").fetchone()[0])

    def drop(self, experiment_name: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path(experiment_name)}{suffix}").unlink(missing_ok=True)
        _remove_private_folders(self.path(experiment_name))

    def publish(self, experiment: Experiment, run_id: int) -> bool:
        """Rename the run's file over the live one: atomic, and readers that have the old file
        open keep reading it until they close it (POSIX rename keeps their inode)."""
        staging = self.path(staging_name(experiment.name, run_id))
        if not staging.exists():
            return False
        live = self.path(experiment.name)
        for path in (staging, live):
            if Path(f"{path}-wal").exists():  # a file from before staged runs: fold its WAL in
                with self._connect(path.stem) as conn:
                    conn.execute("PRAGMA journal_mode=DELETE")
        os.replace(staging, live)
        _remove_private_folders(staging)
        return True

    def reset(self, experiment: Experiment) -> list[str]:
        tables = [self.physical_table(experiment.name, t.name).name for t in experiment.tables]
        if not self.path(experiment.name).exists():
            return []
        with self._connect(experiment.name) as conn:
            conn.execute("BEGIN IMMEDIATE")
            present = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            emptied = [t for t in tables if t in present]
            for table in emptied:
                conn.execute(f'DELETE FROM "{table}"')
            conn.execute("COMMIT")
        return emptied

    @contextlib.contextmanager
    def query_cursor(
        self, experiment_name: str, sql: str, *, timeout_s: float, answer_bytes: int | None = None
    ) -> Iterator[QueryCursor]:
        with self._connect(experiment_name, read_only=True) as conn:
            self._bound_memory(conn)
            hidden = {self.LEDGER_TABLE}
            construct_value_tables(conn)
            conn.set_authorizer(read_only_authorizer(readable_tables(conn, hidden), hidden))
            deadline = time.monotonic() + timeout_s
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            take_failure()  # nothing a pack function said before this query
            try:
                yield DBAPICursor(conn.execute(sql))
            except sqlite3.OperationalError as error:
                self._refuse_if_too_large(error)
                if "interrupted" in str(error):
                    raise QueryTimeout(f"query ran longer than {timeout_s:g} s") from error
                # A pack function (TO_NUMBER, REGEXP_LIKE, ...) refused a value: say which.
                said = take_failure() if "user-defined" in str(error) else None
                if said and (too_large := value_too_large("sqlite", said)):
                    raise too_large from error  # a value-limit check of the query service
                if said and "DWSIM_QUERY_VALUE_MAX_BYTES" in said:
                    raise QueryTooLarge(
                        f"sqlite: {said}", limit="DWSIM_QUERY_VALUE_MAX_BYTES"
                    ) from error
                raise BadRequest(f"sqlite: {said or error}", engine_sql=sql) from error
            except sqlite3.DatabaseError as error:
                self._refuse_if_too_large(error)
                if "not authorized" in str(error):
                    raise BadRequest(
                        "sqlite: this query reads or does something outside the experiment's "
                        "tables (system tables, PRAGMA, ATTACH, writes), which is not allowed",
                        engine_sql=sql,
                    ) from error
                raise BadRequest(f"sqlite: {error}", engine_sql=sql) from error

    def explain(self, experiment_name: str, sql: str, *, timeout_s: float) -> list[dict[str, Any]]:
        """`EXPLAIN QUERY PLAN`, under the same read-only guard as a query."""
        with self.query_cursor(
            experiment_name, f"EXPLAIN QUERY PLAN {sql}", timeout_s=timeout_s
        ) as cursor:
            return sqlite_plan(cursor.fetch(10_000))

    def _bound_memory(self, conn: sqlite3.Connection) -> None:
        """A query's memory on SQLite: no string or blob longer than the value limit (SQLite
        fails the statement the moment one would be built), a small page cache, and a hard
        limit on SQLite's heap in this process (every connection's, so it is set high)."""
        limit = self.settings.query_value_max_bytes
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)
        for name in ("printf", "format"):
            conn.create_function(name, -1, reporting(name, bounded_printf(limit)))
        # The query service's value-limit checks fail through it (never constant-folded).
        conn.create_function("dwsim_value_too_large", 1, reporting("", _value_too_large))
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute(f"PRAGMA hard_heap_limit = {self.settings.sqlite_heap_limit_bytes}")

    def _refuse_if_too_large(self, error: sqlite3.Error) -> None:
        text = str(error)
        if "too big" in text:
            limit = self.settings.query_value_max_bytes
            raise QueryTooLarge(
                f"sqlite: this query builds {too_long_message(limit)}",
                limit="DWSIM_QUERY_VALUE_MAX_BYTES",
            ) from error
        if "out of memory" in text:
            limit = self.settings.sqlite_heap_limit_bytes
            raise QueryTooLarge(
                f"sqlite: this query needs more than SQLite's memory limit of {limit:,} bytes "
                "(DWSIM_SQLITE_HEAP_LIMIT_BYTES)",
                limit="DWSIM_SQLITE_HEAP_LIMIT_BYTES",
            ) from error
