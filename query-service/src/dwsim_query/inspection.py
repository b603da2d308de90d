"""Table inspection in the warehouse: row counts, a preview, a column profile.

The SQL here is built by the service itself from the experiment's schema (sqlglot expressions,
quoted physical names), never from user text, so it skips the user-query pipeline.
A profile is one statement per table: one scan computes every column's null count, distinct
count, min and max, and one grouped sub-query per column finds its most frequent values.
"""

from __future__ import annotations

import difflib
from typing import Any

from sqlglot import exp

from dwsim_query.encoding import jsonable
from dwsim_query.results import encode_rows, stored_column
from dwsim_query.service import ExperimentContext, live_context
from dwsim_shared.errors import NotFound
from dwsim_shared.experiment import SEMI_STRUCTURED_TYPES, Column, Experiment, Table
from dwsim_shared.runtime import Runtime

TOP_VALUES = 5


def find_table(experiment: Experiment, name: str) -> Table:
    table = experiment.table(name)
    if table is None:
        known = [t.name for t in experiment.tables]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NotFound(
            f"experiment {experiment.name!r} has no table {name!r}{hint}; tables: {', '.join(known)}",
            table=name,
            tables=known,
        )
    return table


def _column(col: Column) -> exp.Column:
    return exp.column(exp.to_identifier(col.name.lower(), quoted=True))


def preview_sql(live: ExperimentContext, table: Table, limit: int) -> str:
    source = live.warehouse.physical_table(live.experiment.name, table.name)
    query = exp.select(*(_column(c) for c in table.columns)).from_(source).limit(limit)
    return query.sql(dialect=live.warehouse.sqlglot_dialect)


def _text(node: exp.Expression) -> exp.Expression:
    return exp.cast(node, exp.DataType.build("VARCHAR"))


def _bigint(node: exp.Expression) -> exp.Expression:
    # A bare NULL in a derived table is text to PostgreSQL, which then refuses the UNION.
    return exp.cast(node, exp.DataType.build("BIGINT"))


def _orderable(col: Column) -> bool:
    # MIN/MAX mean nothing for JSON and PostgreSQL has none for BOOLEAN.
    return col.data_type not in SEMI_STRUCTURED_TYPES and col.data_type != "BOOLEAN"


def profile_sql(live: ExperimentContext, table: Table) -> str:
    """One statement; each output row is `(column, kind, low, high, n1, n2, total)`:
    kind `stats` (low=min, high=max, n1=nulls, n2=distinct) or `top` (low=value, n1=frequency)."""
    dialect = live.warehouse.sqlglot_dialect
    source = live.warehouse.physical_table(live.experiment.name, table.name)
    approximate = live.warehouse.approximate_distinct
    stats: list[Any] = [exp.alias_(exp.Count(this=exp.Star()), "total")]
    for i, col in enumerate(table.columns):
        ref = _column(col)
        stats.append(exp.alias_(exp.Count(this=ref.copy()), f"c{i}_present"))
        if col.data_type in SEMI_STRUCTURED_TYPES:
            continue
        distinct: exp.Expression = (
            exp.ApproxDistinct(this=ref.copy())
            if approximate
            else exp.Count(this=exp.Distinct(expressions=[ref.copy()]))
        )
        stats.append(exp.alias_(distinct, f"c{i}_distinct"))
        if _orderable(col):
            stats.append(exp.alias_(_text(exp.Min(this=ref.copy())), f"c{i}_min"))
            stats.append(exp.alias_(_text(exp.Max(this=ref.copy())), f"c{i}_max"))
    cte = exp.select(*stats).from_(source.copy())

    null = exp.Null()
    branches: list[exp.Select] = []
    for i, col in enumerate(table.columns):
        present = exp.column(f"c{i}_present", table="s")
        has = col.data_type not in SEMI_STRUCTURED_TYPES
        orderable = _orderable(col)
        branches.append(
            exp.select(
                exp.alias_(exp.Literal.string(col.name), "column_name"),
                exp.alias_(exp.Literal.string("stats"), "kind"),
                exp.alias_(exp.column(f"c{i}_min", table="s") if orderable else _text(null), "low"),
                exp.alias_(
                    exp.column(f"c{i}_max", table="s") if orderable else _text(null), "high"
                ),
                exp.alias_(exp.Sub(this=exp.column("total", table="s"), expression=present), "n1"),
                exp.alias_(
                    exp.column(f"c{i}_distinct", table="s") if has else _bigint(null.copy()), "n2"
                ),
                exp.alias_(exp.column("total", table="s"), "total"),
            ).from_(exp.to_table("s"))
        )
    for i, col in enumerate(table.columns):
        if col.data_type in SEMI_STRUCTURED_TYPES or table.is_unique_column(col):
            continue  # every value of a key is as frequent as the next
        ref = _column(col)
        frequency = exp.Count(this=exp.Star())
        top = (
            exp.select(
                exp.alias_(exp.Literal.string(col.name), "column_name"),
                exp.alias_(exp.Literal.string("top"), "kind"),
                exp.alias_(_text(ref.copy()), "low"),
                exp.alias_(_text(null.copy()), "high"),
                exp.alias_(frequency, "n1"),
                exp.alias_(_bigint(null.copy()), "n2"),
                exp.alias_(_bigint(null.copy()), "total"),
            )
            .from_(source.copy())
            .where(exp.Not(this=exp.Is(this=ref.copy(), expression=exp.Null())))
            .group_by(ref.copy())
            .order_by(exp.Ordered(this=frequency.copy(), desc=True), exp.Ordered(this=ref.copy()))
            .limit(TOP_VALUES)
        )
        branches.append(exp.select("*").from_(exp.alias_(top.subquery(), f"top{i}", table=True)))
    union: Any = branches[0]
    for branch in branches[1:]:
        union = exp.union(union, branch, distinct=False)
    statement = union.with_("s", as_=cte) if isinstance(union, exp.Select) else None
    if statement is None:
        statement = exp.Select().from_(exp.alias_(union.subquery(), "p", table=True)).select("*")
        statement = statement.with_("s", as_=cte)
    return statement.sql(dialect=dialect)


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def profile_from_rows(
    live: ExperimentContext, table: Table, rows: list[list[Any]]
) -> dict[str, Any]:
    total = 0
    columns: dict[str, dict[str, Any]] = {}
    for col in table.columns:
        columns[col.name] = {
            "name": col.name,
            "data_type": col.data_type,
            "null_fraction": None,
            "null_count": None,
            "distinct_count": None,
            "min": None,
            "max": None,
            "top_values": [],
        }
    for name, kind, low, high, n1, n2, count in rows:
        entry = columns[name]
        if kind == "stats":
            total = int(count or 0)
            entry.update(
                null_count=_count(n1),
                null_fraction=(int(n1) / total) if total else 0.0,
                distinct_count=_count(n2),
                min=low,
                max=high,
            )
        else:
            entry["top_values"].append({"value": low, "count": int(n1)})
    return {
        "experiment": live.experiment.name,
        "table": table.name,
        "warehouse": live.warehouse.name,
        "row_count": total,
        "distinct_is_approximate": live.warehouse.approximate_distinct,
        "columns": list(columns.values()),
    }


def count_tables(rt: Runtime, experiment: str) -> dict[str, Any]:
    """Rows in the warehouse per table of the experiment's live data."""
    live = live_context(rt, experiment)
    counts = {t.name: live.warehouse.count_rows(live.experiment, t) for t in live.experiment.tables}
    return {"experiment": live.experiment.name, "warehouse": live.warehouse.name, "counts": counts}


def preview(rt: Runtime, experiment: str, table_name: str, limit: int) -> dict[str, Any]:
    """The first `limit` rows of one table."""
    live = live_context(rt, experiment)
    table = find_table(live.experiment, table_name)
    sql = preview_sql(live, table, limit)
    stored = [
        stored_column(
            c.name,
            str(c.data_type),
            c.decimal_precision_scale[1] if c.data_type == "DECIMAL" else None,
        )
        for c in table.columns
    ]
    result = live.warehouse.run_query(
        live.experiment.name, sql, row_cap=limit, timeout_s=rt.settings.query_timeout_s
    )
    return {
        "experiment": live.experiment.name,
        "table": table.name,
        "columns": [c.name for c in table.columns],
        "rows": [[jsonable(v) for v in r] for r in encode_rows(result.rows, stored)],
        "row_count": len(result.rows),
        "limit": limit,
        "engine_sql": sql,
    }


def profile(rt: Runtime, experiment: str, table_name: str) -> dict[str, Any]:
    """Per column: null fraction, distinct count, min, max and most frequent values."""
    live = live_context(rt, experiment)
    table = find_table(live.experiment, table_name)
    sql = profile_sql(live, table)
    cap = len(table.columns) * (TOP_VALUES + 1) + 1
    result = live.warehouse.run_query(
        live.experiment.name, sql, row_cap=cap, timeout_s=rt.settings.query_timeout_s
    )
    rows = [[jsonable(v) for v in r] for r in result.rows]
    return {**profile_from_rows(live, table, rows), "engine_sql": sql}
