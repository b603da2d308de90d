"""Redshift's system tables that say what happened, filled from what the project knows:
`stl_load_errors` from the run and shard records of the state database (the loads of this
experiment that failed), `stl_query` and `stv_recents` from the statements the endpoint's sessions
of this experiment sent. Each is answered as a relation with Redshift's columns and types
(https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html,
https://docs.aws.amazon.com/redshift/latest/dg/r_STL_QUERY.html,
https://docs.aws.amazon.com/redshift/latest/dg/r_STV_RECENTS.html) that replaces the empty
catalog view in the statement sent.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlalchemy import select
from sqlglot import exp

from dwsim_shared.objectstore import ObjectStore
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import RunRow, RunShardRow

USERID = 100  # Redshift numbers its users' ids from 100
HISTORY_SIZE = 1000  # statements kept per experiment
LOAD_ERRORS_SHOWN = 10_000
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "stl_load_errors": [
        ("userid", "int"), ("slice", "int"), ("tbl", "int"), ("starttime", "timestamp"),
        ("session", "int"), ("query", "int"), ("filename", "char(256)"),
        ("line_number", "bigint"), ("colname", "char(127)"), ("type", "char(10)"),
        ("col_length", "char(10)"), ("position", "int"), ("raw_line", "char(1024)"),
        ("raw_field_value", "char(1024)"), ("err_code", "int"), ("err_reason", "char(100)"),
    ],
    "stl_query": [
        ("userid", "int"), ("query", "int"), ("label", "char(15)"), ("xid", "bigint"),
        ("pid", "int"), ("database", "char(32)"), ("querytxt", "char(4000)"),
        ("starttime", "timestamp"), ("endtime", "timestamp"), ("aborted", "int"),
    ],
    "stv_recents": [
        ("userid", "int"), ("status", "char(20)"), ("starttime", "timestamp"),
        ("duration", "bigint"), ("user_name", "char(50)"), ("db_name", "char(50)"),
        ("query", "char(600)"), ("pid", "int"),
    ],
}  # fmt: skip
LOAD_ERROR_CODE = 9999  # Redshift's code for an error outside the file's parsing


@dataclass
class Statement:
    query: int
    pid: int
    user: str
    database: str
    text: str
    start: dt.datetime
    end: dt.datetime | None = None
    aborted: bool = False


class History:
    """What the endpoint's sessions sent, per experiment, the latest `HISTORY_SIZE` each."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._by_experiment: dict[str, deque[Statement]] = {}
        self._lock = threading.Lock()  # read from translation threads

    def started(self, experiment: str, pid: int, user: str, text: str) -> Statement:
        statement = Statement(next(self._ids), pid, user, experiment, text, _now())
        with self._lock:
            self._by_experiment.setdefault(experiment, deque(maxlen=HISTORY_SIZE)).append(statement)
        return statement

    def of(self, experiment: str) -> list[Statement]:
        with self._lock:
            return list(self._by_experiment.get(experiment, ()))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class TableOid:
    """The oid of a generated table as the endpoint's catalog shows it (NULL when it has
    none: a load that failed before its table was published)."""

    name: str


def load_errors(rt: Runtime, experiment_id: int, store: ObjectStore) -> list[tuple[Any, ...]]:
    """Rows of `stl_load_errors`: the shards of this experiment's runs on the Redshift mock
    whose load failed (the last error of each), latest first."""
    query = (
        select(RunShardRow, RunRow.number, RunRow.id)
        .join(RunRow, RunRow.id == RunShardRow.run_id)
        .where(
            RunRow.experiment_id == experiment_id,
            RunRow.warehouse == "redshift",
            RunShardRow.last_error.is_not(None),
            RunShardRow.object_key.is_not(None),  # generated: its load is what failed
        )
        .order_by(RunShardRow.updated_at.desc())
        .limit(LOAD_ERRORS_SHOWN)
    )
    rows: list[tuple[Any, ...]] = []
    with rt.session() as session:
        for shard, number, run_id in session.execute(query):
            filename = store.url(shard.object_key or "")
            error = " ".join((shard.last_error or "").split())
            rows.append((
                USERID, shard.shard_index, TableOid(shard.table_name), _utc(shard.updated_at),
                run_id, number or run_id, filename[:256], 0, "", "", "", 0, "", "",
                LOAD_ERROR_CODE, error[:100],
            ))  # fmt: skip
    return rows


def query_rows(history: History, experiment: str) -> list[tuple[Any, ...]]:
    return [
        (USERID, s.query, "default", 0, s.pid, s.database[:32], s.text[:4000], s.start,
         s.end, int(s.aborted))
        for s in history.of(experiment)
    ]  # fmt: skip


def recents_rows(history: History, experiment: str) -> list[tuple[Any, ...]]:
    now = _now()
    rows = []
    for s in history.of(experiment):
        duration = int(((s.end or now) - s.start).total_seconds() * 1_000_000)
        status = "Running" if s.end is None else "Done"
        rows.append((USERID, status, s.start, duration, s.user[:50], s.database[:50],
                     s.text[:600], s.pid))  # fmt: skip
    return rows


def _value(value: Any, catalog_schema: str) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, TableOid):
        name = exp.Literal.string(value.name).sql("postgres")
        return (
            f"(SELECT c.oid::int FROM {catalog_schema}.pg_class c JOIN {catalog_schema}."
            f"pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
            f"c.relname = {name} LIMIT 1)"
        )
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return exp.Literal.string(value.isoformat(sep=" ")).sql("postgres")
    return exp.Literal.string(str(value)).sql("postgres")


def relation(table: str, rows: list[tuple[Any, ...]], catalog_schema: str) -> exp.Subquery:
    """`rows` as a derived table with `table`'s columns and types, aliased `table`."""
    columns = COLUMNS[table]
    names = ", ".join(name for name, _ in columns)
    casts = ", ".join(f"CAST(v.{name} AS {kind}) AS {name}" for name, kind in columns)
    if rows:
        values = ", ".join(
            "(" + ", ".join(_value(v, catalog_schema) for v in row) + ")" for row in rows
        )
        sql = f"SELECT {casts} FROM (VALUES {values}) AS v({names})"
    else:
        nulls = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in columns)
        sql = f"SELECT {nulls} WHERE FALSE"
    query = sqlglot.parse_one(sql, read="postgres")
    return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(table)))
