"""The interface every warehouse adapter implements, and the registry of adapters."""

from __future__ import annotations

import abc
import contextlib
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sqlglot import exp
from sqlglot.errors import ParseError

from dwsim_shared.engines import SOURCE_DIALECTS
from dwsim_shared.errors import BadRequest, QueryTooLarge
from dwsim_shared.experiment import Column, Experiment, Table, canonical_type
from dwsim_shared.memory import rss_bytes
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses.namespaces import staging_name

_TYPE_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(.*\))?\s*$")
T = exp.DataType.Type
# Types whose source spelling both engines here understand (rendered in the engine's dialect).
FAITHFUL_TYPES = frozenset({
    T.SMALLINT, T.INT, T.BIGINT, T.DECIMAL, T.DOUBLE, T.FLOAT, T.VARCHAR, T.NVARCHAR,
    T.CHAR, T.NCHAR, T.TEXT, T.DATE, T.TIME, T.TIMESTAMP, T.TIMESTAMPTZ, T.BOOLEAN,
})  # fmt: skip
TEMPORAL_PARAMETER_TYPES = frozenset({T.TIME, T.TIMESTAMP, T.TIMESTAMPTZ})


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    engine_sql: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class QueryCursor(Protocol):
    """An executed statement: its column names and a way to fetch the next rows."""

    @property
    def columns(self) -> list[str]: ...

    def fetch(self, count: int) -> list[Sequence[Any]]: ...


@dataclass
class DBAPICursor:
    """`QueryCursor` over any DB-API cursor."""

    cursor: Any

    @property
    def columns(self) -> list[str]:
        return [d[0] for d in self.cursor.description or []]

    def fetch(self, count: int) -> list[Sequence[Any]]:
        return list(self.cursor.fetchmany(count))


# Rows are fetched in batches of about BATCH_BYTES, so a result of large values is read a few
# rows at a time and the memory ceiling is checked between batches.
FIRST_BATCH = 1  # the first row tells how large rows are
# The marker of the error a value-limit check raises inside an engine (the query service's
# `value_limits`): each adapter answers it as `QueryTooLarge`, with the message after it.
VALUE_TOO_LARGE = "dwsim value too large"
_LIMIT_SETTING = re.compile(r"DWSIM_[A-Z_]+_MAX_BYTES")


def value_too_large(engine: str, said: str) -> QueryTooLarge | None:
    """The `QueryTooLarge` of a value-limit check an engine raised (`said` is its message),
    or None when `said` is about something else."""
    if VALUE_TOO_LARGE not in said:
        return None
    message = said.split(VALUE_TOO_LARGE + ": ", 1)[-1]
    message = message[: message.rfind(")") + 1] or message  # PostgreSQL appends the size
    setting = _LIMIT_SETTING.search(message)
    limit = setting.group(0) if setting else "DWSIM_QUERY_VALUE_MAX_BYTES"
    return QueryTooLarge(f"{engine}: {message}", limit=limit)


BATCH_BYTES = 4 * 1024 * 1024


def json_floor(row: Sequence[Any]) -> int:
    """A lower bound of the bytes `row` takes as a JSON array: when it passes the byte cap,
    the JSON answer would too."""
    size = 2
    for value in row:
        if isinstance(value, str | bytes | bytearray | memoryview):
            size += len(value) + 3  # quotes (or hex digits) and a separator at least
        else:
            size += 2
    return size


def next_batch(rows: Sequence[Sequence[Any]], most: int) -> int:
    """How many rows the next fetch may ask for, from the size of the last batch's rows."""
    average = max(1, sum(json_floor(r) for r in rows) // max(1, len(rows)))
    return max(1, min(most, BATCH_BYTES // average))


def check_memory(ceiling_mb: int | None) -> None:
    """`QueryTooLarge` naming the ceiling when the process holds more than `ceiling_mb`."""
    if ceiling_mb is None:
        return
    rss = rss_bytes()
    if rss is not None and rss > ceiling_mb * 1024 * 1024:
        raise QueryTooLarge(
            f"query stopped: the query service's memory passed its ceiling of {ceiling_mb} MB "
            "(DWSIM_QUERY_MEMORY_CEILING_MB); ask for fewer or smaller rows",
            limit="DWSIM_QUERY_MEMORY_CEILING_MB",
        )


def read_bounded(
    cursor: QueryCursor, most: int, byte_cap: int | None, memory_ceiling_mb: int | None = None
) -> tuple[list[list[Any]], bool]:
    """Up to `most` rows, fetched in batches; True when reading stopped at `byte_cap`."""
    rows: list[list[Any]] = []
    size, batch = 0, FIRST_BATCH
    while len(rows) < most:
        fetched = cursor.fetch(min(batch, most - len(rows)))
        if not fetched:
            break
        check_memory(memory_ceiling_mb)
        for row in fetched:
            rows.append(list(row))
            size += json_floor(row)
            if byte_cap is not None and size > byte_cap:
                return rows, True
        batch = next_batch(fetched, most)
    return rows, False


@dataclass(frozen=True)
class ShardRef:
    """Which shard a load is: the key of the warehouse's load ledger."""

    run_id: int
    table: str
    shard_index: int


def staged(experiment: Experiment, run_id: int) -> Experiment:
    """The experiment as its run's staging namespace sees it: same tables, the staging name."""
    return experiment.model_copy(update={"name": staging_name(experiment.name, run_id)})


class Warehouse(abc.ABC):
    """One engine. Tables are created exactly as the experiment declares them (no extra columns).

    Its class attributes are the engine's entry in the registry (`dwsim_shared.engines`)."""

    name: ClassVar[str]
    # What a user reads where the engine is named (refusals, menus).
    label: ClassVar[str]  # "Redshift mock"
    # The engine key of the query service's rewrite chain (the SQL the engine itself speaks).
    compat_engine: ClassVar[str]
    sqlglot_dialect: ClassVar[str]
    # Whether distinct counts (table profiles) are approximate here, at a reasonable price.
    approximate_distinct: ClassVar[bool] = False
    # What must be set before the engine can be used (None: nothing).
    required_settings: ClassVar[str | None] = None
    # Canonical model type -> engine DDL type (VARCHAR gets its length added).
    ddl_types: ClassVar[dict[str, str]]
    # The dialect DDL is written in (SQLite keeps whatever type names it is given).
    ddl_dialect: ClassVar[str | None] = None
    LEDGER_TABLE: ClassVar[str] = "_dwsim_loads"
    # The sessions `kept_sessions` shares (None: every query opens its own).
    _kept: dict[str, Any] | None = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        """Whether `settings` name what this engine needs."""
        return True

    @contextlib.contextmanager
    def kept_sessions(self) -> Iterator[None]:
        """Within the block, queries may share engine sessions instead of opening one each
        (for tests that run hundreds of read-only statements; services never keep one)."""
        yield

    @abc.abstractmethod
    def check(self) -> None:
        """Raise `DependencyUnavailable` unless the engine can be reached."""

    @abc.abstractmethod
    def prepare(self, experiment: Experiment) -> None:
        """(Re)create the experiment's namespace and empty tables, and the load ledger."""

    @abc.abstractmethod
    def load_shard(self, experiment: Experiment, table: Table, parquet: Path, ref: ShardRef) -> int:
        """Load one Parquet shard exactly once; returns the rows the shard put in the table."""

    @abc.abstractmethod
    def count_rows(self, experiment: Experiment, table: Table) -> int: ...

    @abc.abstractmethod
    def drop(self, experiment_name: str) -> None:
        """Remove the experiment's namespace and everything in it."""

    # Staged runs (issue 8): a run loads into `staged(experiment, run_id)` (prepare, load_shard
    # and count_rows are the same methods, given the staging name), then publishes it.
    @abc.abstractmethod
    def publish(self, experiment: Experiment, run_id: int) -> bool:
        """Make the run's staging namespace the live one in one atomic step, dropping the old
        live data. False when there is no staging namespace (already published)."""

    @abc.abstractmethod
    def reset(self, experiment: Experiment) -> list[str]:
        """Empty every table of the live data (tables and ledger kept); the tables emptied."""

    def drop_staging(self, experiment_name: str, run_ids: Sequence[int]) -> None:
        """Remove the staging namespaces of these runs (absent ones are skipped)."""
        for run_id in run_ids:
            self.drop(staging_name(experiment_name, run_id))

    @abc.abstractmethod
    def query_cursor(
        self, experiment_name: str, sql: str, *, timeout_s: float, answer_bytes: int | None = None
    ) -> contextlib.AbstractContextManager[QueryCursor]:
        """One read-only statement (in this engine's dialect and names), executed; errors raised
        inside the block (also while fetching) come out as the project's errors. Every value
        (or row) is at most `settings.query_value_max_bytes`; `answer_bytes`: the caller reads
        no more than about this much (an engine that sends its whole result at once refuses a
        much larger one)."""

    def run_query(
        self,
        experiment_name: str,
        sql: str,
        *,
        row_cap: int,
        timeout_s: float,
        byte_cap: int | None = None,
        memory_ceiling_mb: int | None = None,
    ) -> QueryResult:
        """At most `row_cap` rows of a read-only statement; `truncated` when there were more,
        or when the rows read passed `byte_cap` bytes of JSON (reading stops there: the rows
        past it are never fetched). `memory_ceiling_mb`: the process's resident size past which
        reading stops with `QueryTooLarge` (the query service passes its own)."""
        engine_sql = self.bounded_sql(experiment_name, sql, row_cap + 1)
        with self.query_cursor(
            experiment_name, engine_sql, timeout_s=timeout_s, answer_bytes=byte_cap
        ) as cursor:
            rows, cut = read_bounded(cursor, row_cap + 1, byte_cap, memory_ceiling_mb)
            columns = cursor.columns
        truncated = cut or len(rows) > row_cap
        return QueryResult(columns, rows[:row_cap], truncated, sql)

    @property
    def report_dialect(self) -> str:
        """The SQL the validation report's own queries are written in (`report_row` runs them)."""
        return self.sqlglot_dialect

    def report_row(self, experiment_name: str, sql: str, *, timeout_s: float) -> list[Any]:
        """The one row of one of the validation report's own read queries (in
        `report_dialect`, over this engine's physical names)."""
        result = self.run_query(experiment_name, sql, row_cap=1, timeout_s=timeout_s)
        return list(result.rows[0]) if result.rows else []

    def bounded_sql(self, experiment_name: str, sql: str, rows: int) -> str:
        """The statement `run_query` sends for at most `rows` rows of `sql`: itself, unless the
        engine sends a whole answer at once (then it is told the limit)."""
        return sql

    def explain(self, experiment_name: str, sql: str, *, timeout_s: float) -> list[dict[str, Any]]:
        """The engine's plan of a read-only statement (in this engine's dialect and names), as a
        tree (`plans.py`); refused by name where the engine has no plan to show."""
        raise BadRequest(
            f"EXPLAIN is not available on the {self.name} warehouse: it has no query plan to show",
            construct="EXPLAIN",
        )

    def stream_query(
        self,
        experiment_name: str,
        sql: str,
        *,
        timeout_s: float,
        batch_rows: int = 10_000,
        memory_ceiling_mb: int | None = None,
    ) -> Generator[list[str] | list[Sequence[Any]], None, None]:
        """The column names first, then batches of rows until the result is exhausted.

        The statement runs when the first item is taken, so errors in the SQL surface there.
        Batches hold about `BATCH_BYTES` each, and `memory_ceiling_mb` is checked between them.
        """
        with self.query_cursor(experiment_name, sql, timeout_s=timeout_s) as cursor:
            yield cursor.columns
            batch = FIRST_BATCH
            while rows := cursor.fetch(batch):
                check_memory(memory_ceiling_mb)
                yield rows
                batch = next_batch(rows, batch_rows)

    @abc.abstractmethod
    def physical_table(self, experiment_name: str, table_name: str) -> exp.Table:
        """Where a logical table lives in this engine."""

    def column_type(self, col: Column, source_dialect: str | None = None) -> exp.DataType:
        """The engine type of a column: the DDL's own spelling where the engine has it
        (`NUMERIC(18,4)` stays `NUMERIC(18,4)`, `REAL` stays `REAL`), else the canonical mapping."""
        faithful = self._faithful_type(col, source_dialect)
        if faithful is not None:
            return faithful
        spelled = self.ddl_types[col.data_type]
        if col.data_type in ("VARCHAR", "CHAR") and col.varchar_length is not None:
            spelled = f"{col.data_type}({col.varchar_length})"
        elif col.data_type == "DECIMAL":
            precision, scale = col.decimal_precision_scale
            spelled = f"{spelled}({precision}, {scale})"
        return exp.DataType.build(spelled, dialect=self.ddl_dialect or self.sqlglot_dialect)

    def _faithful_type(self, col: Column, source_dialect: str | None) -> exp.DataType | None:
        if not col.source_type or not source_dialect:
            return None
        match = _TYPE_NAME.match(col.source_type)
        if match is None or canonical_type(match.group(1)) != col.data_type:
            return None  # the document's data_type was changed after import: it wins
        known = SOURCE_DIALECTS.get(source_dialect)
        dialect = known.types if known else source_dialect
        try:
            built = exp.DataType.build(col.source_type, dialect=dialect)
        except (ParseError, ValueError):
            return None
        if built.this not in FAITHFUL_TYPES:
            return None
        params = [e.this for e in built.expressions if isinstance(e, exp.DataTypeParam)]
        if not all(isinstance(p, exp.Literal) and p.is_int for p in params):
            return None  # VARCHAR(MAX) and the like
        numbers = [int(p.name) for p in params]
        if built.this in TEMPORAL_PARAMETER_TYPES:
            return exp.DataType(this=built.this)  # engines differ in fractional precision
        if col.data_type in ("VARCHAR", "CHAR") and numbers and numbers[0] != col.varchar_length:
            return None
        if col.data_type == "DECIMAL" and numbers:
            precision, scale = col.decimal_precision_scale
            if numbers[0] != precision or (numbers[1:] or [0])[0] != scale:
                return None
        return built

    def create_table_sql(self, experiment: Experiment | str, table: Table) -> str:
        experiment_name = experiment if isinstance(experiment, str) else experiment.name
        source_dialect = None if isinstance(experiment, str) else experiment.source_dialect
        columns = []
        for col in table.columns:
            constraints = (
                [] if col.nullable else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
            )
            columns.append(
                exp.ColumnDef(
                    this=exp.to_identifier(col.name.lower(), quoted=True),
                    kind=self.column_type(col, source_dialect),
                    constraints=constraints,
                )
            )
        schema = exp.Schema(
            this=self.physical_table(experiment_name, table.name), expressions=columns
        )
        return exp.Create(this=schema, kind="TABLE").sql(
            dialect=self.ddl_dialect or self.sqlglot_dialect
        )
