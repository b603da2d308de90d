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
from dwsim_shared.experiment import (
    INTEGER_TYPES,
    SEMI_STRUCTURED_TYPES,
    Column,
    Experiment,
    Table,
)
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


HISTOGRAM_BINS = 10
HISTOGRAM_TYPES = frozenset({"SMALLINT", "INT", "BIGINT", "DECIMAL", "FLOAT"})


def histogram_edges(data_type: str, low: Any, high: Any) -> list[float] | None:
    """Bin edges between a numeric column's min and max: one bin per value for a few integers,
    else `HISTOGRAM_BINS` of equal width (the last one closed at max).

    >>> histogram_edges("INT", "1", "3")
    [0.5, 1.5, 2.5, 3.5]
    >>> histogram_edges("FLOAT", "0", "10")[:3]
    [0.0, 1.0, 2.0]
    """
    if data_type not in HISTOGRAM_TYPES or low is None or high is None:
        return None
    try:
        first, last = float(low), float(high)
    except ValueError:
        return None
    if not (first <= last) or last - first == float("inf"):
        return None
    if data_type in INTEGER_TYPES and last - first + 1 <= HISTOGRAM_BINS:
        return [first - 0.5 + k for k in range(int(last - first) + 2)]  # a bin per value
    if first == last:
        return [first, last]
    width = (last - first) / HISTOGRAM_BINS
    return [first + k * width for k in range(HISTOGRAM_BINS)] + [last]


def histogram_sql(live: ExperimentContext, table: Table, edges: dict[str, list[float]]) -> str:
    """Each numeric column's values counted per bin: one grouped scan per column of the bin
    number `floor((x - low) / width)` (bins are of equal width; the max, bin `n`, is folded into
    the last bin by the caller). Rows `(column position, bin, count)`."""
    source = live.warehouse.physical_table(live.experiment.name, table.name)
    branches = []
    for i, col in enumerate(table.columns):
        cuts = edges.get(col.name)
        if cuts is None:
            continue
        ref = _column(col)
        low, width = exp.Literal.number(repr(cuts[0])), exp.Literal.number(repr(cuts[1] - cuts[0]))
        ratio = exp.Div(this=exp.paren(exp.Sub(this=ref.copy(), expression=low)), expression=width)
        # x >= low, so truncation is the floor on SQLite (whose FLOOR may be missing)
        floor = ratio if live.warehouse.name == "sqlite" else exp.Floor(this=ratio)
        inner = exp.select(exp.alias_(exp.cast(floor, exp.DataType.build("BIGINT")), "b"))
        inner = inner.from_(source.copy()).where(
            exp.Not(this=exp.Is(this=ref.copy(), expression=exp.Null()))
        )
        branches.append(
            exp.select(
                exp.alias_(exp.Literal.number(i), "c"),
                "b",
                exp.alias_(exp.Count(this=exp.Star()), "n"),
            )
            .from_(exp.alias_(inner.subquery(), f"h{i}", table=True))
            .group_by("b")
        )
    union: Any = branches[0]
    for branch in branches[1:]:
        union = exp.union(union, branch, distinct=False)
    return union.sql(dialect=live.warehouse.sqlglot_dialect)


def add_histograms(
    rt: Runtime, live: ExperimentContext, table: Table, answer: dict[str, Any]
) -> None:
    """Each numeric column's histogram (`[{low, high, count}]`) into a profile's columns; keys
    (every value once) have none, as they have no top values."""
    edges = {}
    for col, column in zip(table.columns, answer["columns"], strict=True):
        if table.is_unique_column(col):
            continue
        cuts = histogram_edges(column["data_type"], column["min"], column["max"])
        if cuts is not None and len(cuts) > 1:
            edges[column["name"]] = cuts
    if not edges:
        return
    result = live.warehouse.run_query(
        live.experiment.name,
        histogram_sql(live, table, edges),
        row_cap=len(edges) * (HISTOGRAM_BINS + 2),
        timeout_s=rt.settings.query_timeout_s,
    )
    counts: dict[tuple[int, int], int] = {}
    for position, bin_number, number in result.rows:
        name = table.columns[int(position)].name
        last = len(edges[name]) - 2
        key = (int(position), min(max(int(bin_number), 0), last))
        counts[key] = counts.get(key, 0) + int(number)
    for i, column in enumerate(answer["columns"]):
        cuts = edges.get(column["name"])
        if cuts is None:
            continue
        column["histogram"] = [
            {"low": cuts[k], "high": cuts[k + 1], "count": counts.get((i, k), 0)}
            for k in range(len(cuts) - 1)
        ]


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
    answer = {**profile_from_rows(live, table, rows), "engine_sql": sql}
    add_histograms(rt, live, table, answer)
    return answer
