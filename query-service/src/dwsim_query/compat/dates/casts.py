"""Casts to dates and timestamps and date-with-timestamp comparisons on SQLite (ISO text),
TO_TIMESTAMP of a number on PostgreSQL."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.common import FORMATTED, PART_FUNCS, TRUNCS, on
from dwsim_query.compat.nodes import call, cast, is_date, is_text, is_timestamp, text, type_of

# --- Both strictly typed engines: Snowflake's coercion of text ------------------------------


@on(*PART_FUNCS, *TRUNCS, exp.LastDay, *FORMATTED)
def text_as_timestamp(node: exp.Expression, source: str) -> exp.Expression:
    """Snowflake coerces text (and NULL) given to a date or time function to TIMESTAMP
    (`YEAR('2024-02-29')` is 2024); DuckDB fails an untyped literal ("Could not choose a best
    candidate function") and PostgreSQL's LAST_DAY rewrite an unknown one. SQLite reads text."""
    if source != "snowflake" or not (isinstance(node.this, exp.Null) or is_text(node.this)):
        return node
    if isinstance(node, FORMATTED) and node.args.get("format") is None:
        return node  # TO_CHAR(text) is the text
    if isinstance(node, tuple(PART_FUNCS)) and type(node) not in PART_FUNCS:
        return node  # a subclass of one is not that part
    node.set("this", cast(node.this, "TIMESTAMP"))
    return node


# --- SQLite: dates and timestamps are ISO text ----------------------------------------------

COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_KIND_ARG = {"dwsim_dateadd": 3, "dwsim_date_trunc": 2, "dwsim_last_day": 1}


def _sqlite_kind(node: exp.Expression) -> str | None:
    """Whether a SQLite operand holds a date or a timestamp (ISO text either way)."""
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "dwsim_cast_date":
            return "date"
        if name in ("dwsim_cast_timestamp", "dwsim_convert_tz", "dwsim_to_timestamp"):
            return "timestamp"
        if name in _KIND_ARG and len(node.expressions) > _KIND_ARG[name]:
            kind = node.expressions[_KIND_ARG[name]].name
            return kind if kind in ("date", "timestamp") else None
        return None
    if is_date(node):
        return "date"
    return "timestamp" if is_timestamp(node) else None


@on(*COMPARISONS)
def comparisons_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    """ISO text compares '2024-01-01' < '2024-01-01 00:00:00'; the sources compare a date with
    a timestamp as that date at midnight. Reads what the date rewrites before it built."""
    kinds = (_sqlite_kind(node.this), _sqlite_kind(node.expression))
    if kinds == ("date", "timestamp"):
        node.set("this", call("dwsim_cast_timestamp", node.this))
    elif kinds == ("timestamp", "date"):
        node.set("expression", call("dwsim_cast_timestamp", node.expression))
    return node


@on(exp.Cast, exp.TryCast)
def casts_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    """A cast to DATE or to a timestamp type as the pack's checked conversions."""
    to: exp.DataType = node.args["to"]
    if to.this in (exp.DataType.Type.DATE,):
        return call("dwsim_cast_date", node.this)
    if to.is_type(*exp.DataType.TEMPORAL_TYPES) and type_of(node.this) != to.this:
        if to.this in (exp.DataType.Type.TIME,):
            return node
        return call("dwsim_cast_timestamp", node.this)
    return node


# --- PostgreSQL (the Redshift mock) ----------------------------------------------------------

NAIVE_TIMESTAMPS = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)


@on(exp.UnixToTime)
def epoch_to_timestamp_postgres(node: exp.Expression, source: str) -> exp.Expression:
    """TO_TIMESTAMP[_NTZ](number[, scale]) on PostgreSQL."""
    if isinstance(node.this, exp.Binary):
        # sqlglot writes TO_TIMESTAMP(x / POWER(10, scale)) without brackets around x, so
        # `a + b` would lose the scale on `a` only: bracket it.
        node = node.copy()
        node.set("this", exp.Paren(this=node.this))
    target = node.args.get("target_type")
    if (
        source == "snowflake"
        and isinstance(target, exp.DataType)
        and target.is_type(*NAIVE_TIMESTAMPS)
    ):
        # PostgreSQL's TO_TIMESTAMP(number) is a TIMESTAMPTZ; Snowflake's NTZ is the UTC
        # wall clock without a zone.
        return exp.Paren(this=exp.AtTimeZone(this=node, zone=text("UTC")))
    return node
