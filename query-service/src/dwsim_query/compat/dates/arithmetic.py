"""DATEADD, DATEDIFF, date arithmetic (`± INTERVAL`, `date ± days`, `date - date`) and
DATE_FROM_PARTS, one rewrite per construct and engine."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.common import (
    ADD_UNITS,
    ADDS,
    DIFF_UNITS,
    DIFFS,
    date_plus_interval,
    interval_parts,
    on,
    result_kind,
    unit_of,
)
from dwsim_query.compat.nodes import (
    Refusal,
    call,
    cast,
    is_date,
    is_integer,
    is_text,
    is_timestamp,
    text,
    type_of,
)

# --- SQLite: the pack's functions, over ISO text --------------------------------------------


@on(*ADDS)
def dateadd_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    unit = unit_of(node, ADD_UNITS, "DATEADD")
    kind = result_kind(node.this, source, unit)
    return call("dwsim_dateadd", text(unit), node.expression, node.this, text(kind))


@on(*DIFFS)
def datediff_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    unit = unit_of(node, DIFF_UNITS, "DATEDIFF")
    return call("dwsim_datediff", text(unit), node.expression, node.this)


@on(exp.Add, exp.Sub)
def interval_arithmetic_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    """`value ± INTERVAL '...'` as dwsim_dateadd."""
    if not isinstance(node.expression, exp.Interval):
        return node
    unit, amount = interval_parts(node.expression)
    if isinstance(node, exp.Sub):
        amount = -amount
    kind = result_kind(node.this, source, unit)
    return call("dwsim_dateadd", text(unit), exp.Literal.number(amount), node.this, text(kind))


@on(exp.Sub)
def date_minus_date_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    """`date - date`: the days between them."""
    if is_date(node.this) and is_date(node.expression):
        return call("dwsim_datediff", text("DAY"), node.expression, node.this)
    return node


@on(exp.Add, exp.Sub)
def date_plus_days_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    """`date ± integer`: that many days later (earlier), a date."""
    if not (is_date(node.this) and is_integer(node.expression)):
        return node
    days: exp.Expression = node.expression
    if isinstance(node, exp.Sub):
        days = exp.Neg(this=days)
    return call("dwsim_dateadd", text("DAY"), days, node.this, text("date"))


# --- PostgreSQL (the Redshift mock) and the emulator -----------------------------------------


@on(exp.Add, exp.Sub)
def date_plus_interval_as_date(node: exp.Expression, source: str) -> exp.Expression:
    """Snowflake's `date ± INTERVAL` of days or more stays a date; PostgreSQL and fakesnow
    answer a timestamp."""
    return cast(node, "DATE") if date_plus_interval(node, source) else node


# --- PostgreSQL (the Redshift mock) ----------------------------------------------------------


def _interval(unit: str, amount: exp.Expression) -> exp.Expression:
    if unit == "QUARTER":
        unit, amount = (
            "MONTH",
            exp.Mul(this=exp.Paren(this=amount), expression=exp.Literal.number(3)),
        )
    if unit == "MILLISECOND":
        unit, amount = (
            "SECOND",
            exp.Div(this=exp.Paren(this=amount), expression=exp.Literal.number(1000)),
        )
    step = exp.Interval(this=text("1"), unit=exp.Var(this=unit))
    return exp.Mul(this=exp.Paren(this=amount), expression=step)


def as_timestamp(node: exp.Expression) -> exp.Expression:
    """A value as PostgreSQL's TIMESTAMP (a timestamp or a TIME stays as it is)."""
    keep = is_timestamp(node) or type_of(node) == exp.DataType.Type.TIME
    return node if keep else cast(node, "TIMESTAMP")


def _time_on_a_day(node: exp.Expression) -> exp.Expression:
    """A DATEDIFF operand as the timestamp dwsim_datediff takes: a TIME on one fixed day (two
    times count within a day), a TIMESTAMPTZ (SYSDATE, CURRENT_TIMESTAMP on PostgreSQL) as
    the session's (UTC) wall clock."""
    zoned = (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ)
    if isinstance(node, exp.CurrentTimestamp) or type_of(node) in zoned:
        return cast(node, "TIMESTAMP")
    if type_of(node) != exp.DataType.Type.TIME:
        return node
    day = cast(text("2000-01-01"), "DATE")
    return cast(exp.Paren(this=exp.Add(this=day, expression=node)), "TIMESTAMP")


@on(*ADDS)
def dateadd_postgres(node: exp.Expression, source: str) -> exp.Expression:
    unit = unit_of(node, ADD_UNITS, "DATEADD")
    kind = result_kind(node.this, source, unit)
    total = exp.Paren(
        this=exp.Add(this=as_timestamp(node.this), expression=_interval(unit, node.expression))
    )
    if kind == "date":
        return cast(total, "DATE")
    return total


@on(*DIFFS)
def datediff_postgres(node: exp.Expression, source: str) -> exp.Expression:
    unit = unit_of(node, DIFF_UNITS, "DATEDIFF")
    return call(
        "dwsim_datediff",
        text(unit),
        _time_on_a_day(as_timestamp(node.expression)),
        _time_on_a_day(as_timestamp(node.this)),
    )


# --- The Snowflake emulator (fakesnow on DuckDB) ---------------------------------------------


@on(*ADDS)
def dateadd_emulator(node: exp.Expression, source: str) -> exp.Expression:
    unit = unit_of(node, ADD_UNITS, "DATEADD")
    kind = result_kind(node.this, source, unit)
    added = exp.DateAdd(this=node.this, expression=node.expression, unit=exp.Var(this=unit))
    # fakesnow answers a timestamp for a date plus days; Snowflake keeps the date.
    if kind == "date":
        return cast(added, "DATE")
    if kind == "timestamp":
        return cast(added, "TIMESTAMP_NTZ", "snowflake")
    return added


@on(*DIFFS)
def datediff_emulator(node: exp.Expression, source: str) -> exp.Expression:
    unit = unit_of(node, DIFF_UNITS, "DATEDIFF")
    # Snowflake reads text arguments as timestamps; DuckDB has no DATE_DIFF of text.
    later, earlier = (
        cast(v, "TIMESTAMP_NTZ", "snowflake") if is_text(v) else v
        for v in (node.this, node.expression)
    )
    return exp.DateDiff(this=later, expression=earlier, unit=exp.Var(this=unit))


# --- DATE_FROM_PARTS (Snowflake's) -----------------------------------------------------------
# January 1 of y, plus m - 1 months, plus d - 1 days (so months and days out of range, zero or
# negative, move the date as Snowflake documents).


def _parts(node: exp.Expression) -> list[exp.Expression]:
    """DATE_FROM_PARTS' year, month and day; a fractional number among them is refused (the
    reference says integers and not how Snowflake rounds one; SQLite truncated 2.5 to 2)."""
    parts = [node.args[k] for k in ("year", "month", "day")]
    for part in parts:
        if type_of(part) in exp.DataType.NUMERIC_TYPES and not is_integer(part):
            raise Refusal("DATE_FROM_PARTS with a number that is not an integer", node,
                          "round it first (ROUND or TRUNC)")  # fmt: skip
    return parts


def date_from_parts_sqlite(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.DateFromParts):
        return node
    year, month, day = _parts(node)
    return call("dwsim_date_from_parts", year, month, day)


def date_from_parts_emulator(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DateFromParts):
        _parts(node)  # the emulator runs DATE_FROM_PARTS itself; a fraction is refused
    return node


def date_from_parts_postgres(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.DateFromParts):
        return node
    year, month, day = _parts(node)
    one = exp.Literal.number(1)
    start = call("MAKE_DATE", year, one, one.copy())
    steps = [
        exp.Mul(this=exp.Paren(this=exp.Sub(this=part, expression=one.copy())),
                expression=exp.Interval(this=text("1"), unit=exp.var(unit)))
        for part, unit in ((month, "MONTH"), (day, "DAY"))
    ]  # fmt: skip
    moved = exp.Add(this=exp.Add(this=start, expression=steps[0]), expression=steps[1])
    return cast(moved, "DATE")
